"""customer.subscription.* events: status, plan and period follow Stripe, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import entitlement_snapshots, notification_kinds, subscription_of
from ..scenario import MONTH, T0, Company, checked_out_company
from ..stripe_objects import event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


def at(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


async def subscribed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    company = await checked_out_company(client, fake_stripe)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    return company


async def test_created_active_subscription_sets_plan_and_period_from_its_item(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed(client, fake_stripe, deliver)

    subscription = await subscription_of(client, company.access_token)

    assert subscription["status"] == "active"
    assert subscription["plan"]["slug"] == "professional"
    assert subscription["billing_period"] == "monthly"
    assert subscription["current_period_start"] == at(T0)
    assert subscription["current_period_end"] == at(T0 + MONTH)
    snapshot = (await entitlement_snapshots(database, company.company_id))[-1]
    assert snapshot["status"] == "active"
    assert snapshot["valid_until"] == at(T0 + MONTH)


async def test_an_incomplete_subscription_does_not_end_the_trial(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)

    await deliver(
        event(
            "customer.subscription.created", company.subscription(status="incomplete"), created=T0
        )
    )

    assert (await subscription_of(client, company.access_token))["status"] == "trial"


async def test_an_update_moves_to_the_new_plan(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed(client, fake_stripe, deliver)
    upgraded = company.subscription(lookup_key="enterprise_yearly")

    await deliver(
        event(
            "customer.subscription.updated",
            upgraded,
            created=T0 + 100,
            previous_attributes={"items": company.subscription()["items"]},
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["plan"]["slug"] == "enterprise"
    assert subscription["billing_period"] == "yearly"
    assert (await entitlement_snapshots(database, company.company_id))[-1]["plan"] == "enterprise"


async def test_an_older_snapshot_arriving_late_changes_nothing(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed(client, fake_stripe, deliver)
    await deliver(
        event(
            "customer.subscription.updated",
            company.subscription(
                status="past_due", period_start=T0 + MONTH, period_end=T0 + 2 * MONTH
            ),
            created=T0 + MONTH + 10,
        )
    )
    published = len(await entitlement_snapshots(database, company.company_id))

    await deliver(
        event(
            "customer.subscription.updated", company.subscription(status="active"), created=T0 + 50
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "past_due"
    assert subscription["current_period_end"] == at(T0 + 2 * MONTH)
    assert len(await entitlement_snapshots(database, company.company_id)) == published


async def test_deleted_cancels_and_nothing_brings_it_back(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed(client, fake_stripe, deliver)
    cancelled = company.subscription(status="canceled", canceled_at=T0 + 200)

    await deliver(event("customer.subscription.deleted", cancelled, created=T0 + 200))
    await deliver(
        event(
            "customer.subscription.updated", company.subscription(status="active"), created=T0 + 300
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "cancelled"
    assert subscription["plan"] is None
    assert subscription["limits"] == {
        "bank_accounts": 0,
        "transactions_per_month": 0,
        "ai_insights": False,
        "insights": "none",
    }
    snapshot = (await entitlement_snapshots(database, company.company_id))[-1]
    assert (snapshot["status"], snapshot["plan"], snapshot["valid_until"]) == (
        "cancelled",
        None,
        None,
    )
    assert "subscription_cancelled" in await notification_kinds(client, company.access_token)


async def test_paused_suspends_and_resumed_restores(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)

    await deliver(
        event(
            "customer.subscription.paused", company.subscription(status="paused"), created=T0 + 10
        )
    )
    paused = await subscription_of(client, company.access_token)
    await deliver(
        event(
            "customer.subscription.resumed", company.subscription(status="active"), created=T0 + 20
        )
    )

    assert (paused["status"], paused["plan"]) == ("paused", None)
    resumed = await subscription_of(client, company.access_token)
    assert (resumed["status"], resumed["plan"]["slug"]) == ("active", "professional")


async def test_cancel_at_period_end_is_shown(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)

    await deliver(
        event(
            "customer.subscription.updated",
            company.subscription(cancel_at_period_end=True),
            created=T0 + 10,
            previous_attributes={"cancel_at_period_end": False},
            request_id="req_portal",
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "active"
    assert subscription["cancel_at_period_end"] is True


async def test_trial_will_end_sends_a_notice_for_a_trialing_subscription(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)

    await deliver(
        event(
            "customer.subscription.trial_will_end",
            company.subscription(status="trialing"),
            created=T0,
        )
    )

    assert "trial_ending" in await notification_kinds(client, company.access_token)


async def test_a_subscription_of_a_stranger_is_ignored(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    stranger = company.subscription(metadata={})
    stranger["customer"] = "cus_stranger"

    await deliver(event("customer.subscription.created", stranger, created=T0))

    assert (await subscription_of(client, company.access_token))["status"] == "trial"
