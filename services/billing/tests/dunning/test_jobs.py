"""The dunning schedule under a controlled clock: reminders on days 3, 7, 14, then cancellation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from billing.config import get_settings
from billing.dunning.jobs import run_dunning
from billing.dunning.models import DunningSchedule
from billing.stripe.client import open_stripe_client
from finhub_shared.db import Database

from ..conftest import Deliver, row_counts
from ..helpers import (
    entitlement_snapshots,
    notification_kinds,
    open_transactions,
    subscription_of,
)
from ..scenario import MONTH, T0, Company, paid_checkout
from ..stripe_objects import event
from ..stripe_sandbox import Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio

FAILED_AT = T0 + MONTH + 60
FIRST_FAILURE = datetime.fromtimestamp(FAILED_AT, UTC)


def day(n: float) -> datetime:
    """`n` days after the first failure."""
    return FIRST_FAILURE + timedelta(days=n)


async def past_due(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    company = await paid_checkout(client, fake_stripe)
    await fake_stripe.fail_next_renewal(company.subscription_id)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    renewal = company.invoice("in_m1", period=1, status="open")
    await deliver(event("invoice.payment_failed", renewal, created=FAILED_AT))
    return company


async def run_at(database: Database, now: datetime) -> None:
    # A fresh Stripe client per run, as after a restart: only the database remembers.
    async with open_stripe_client(get_settings()) as stripe_client:
        await run_dunning(database, stripe_client, now=now)


async def schedule(database: Database) -> DunningSchedule:
    async with database.sessions() as session:
        return (await session.execute(select(DunningSchedule))).scalar_one()


def state_of(stored: DunningSchedule) -> tuple[object, ...]:
    return stored.status, stored.steps_done, stored.next_run_at, stored.finished_at


async def reminders(client: httpx.AsyncClient, company: Company) -> int:
    return (await notification_kinds(client, company.access_token)).count("payment_reminder")


async def test_reminders_on_days_3_7_14_then_cancellation_at_stripe(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await past_due(client, fake_stripe, deliver)
    seen = []
    for moment in (day(2.9), day(3), day(3.5), day(7), day(13), day(14), day(14.5)):
        await run_at(database, moment)
        seen.append(await reminders(client, company))
    assert seen == [0, 1, 1, 2, 2, 3, 3]
    assert fake_stripe.calls("DELETE", f"/v1/subscriptions/{company.subscription_id}") == []
    assert (await subscription_of(client, company.access_token))["status"] == "past_due"

    await run_at(database, day(15))

    cancels = [
        call.request
        for call in fake_stripe.router.calls
        if call.request.method == "DELETE"
        and call.request.url.path == f"/v1/subscriptions/{company.subscription_id}"
    ]
    assert len(cancels) == 1
    assert cancels[0].headers["Idempotency-Key"].startswith("dunning-cancel-")
    subscription = await subscription_of(client, company.access_token)
    assert (subscription["status"], subscription["plan"]) == ("cancelled", None)
    snapshot = (await entitlement_snapshots(database, company.company_id))[-1]
    assert (snapshot["status"], snapshot["plan"]) == ("cancelled", None)
    assert (await schedule(database)).status == "cancelled_subscription"
    assert "subscription_cancelled" in await notification_kinds(client, company.access_token)

    await run_at(database, day(30))
    assert len(fake_stripe.calls("DELETE", f"/v1/subscriptions/{company.subscription_id}")) == 1


async def test_a_payment_at_any_step_stops_the_schedule(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(7))

    paid = company.invoice("in_m1", period=1, status="paid", attempt_count=3)
    await deliver(event("invoice.paid", paid, created=FAILED_AT + 8 * 86_400))
    await run_at(database, day(20))

    assert fake_stripe.calls("DELETE", f"/v1/subscriptions/{company.subscription_id}") == []
    assert (await subscription_of(client, company.access_token))["status"] == "active"
    assert (await schedule(database)).status == "recovered"
    assert await reminders(client, company) == 1


async def test_after_downtime_only_the_latest_missed_reminder_is_sent(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await past_due(client, fake_stripe, deliver)

    await run_at(database, day(10))

    assert await reminders(client, company) == 1
    stored = await schedule(database)
    assert stored.steps_done == 2
    assert stored.next_run_at == day(14)


async def test_stripe_failing_at_cancellation_changes_nothing_and_the_next_run_cancels(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(14))
    path = f"/v1/subscriptions/{company.subscription_id}"
    fake_stripe.fail("DELETE", path, status=500, times=3)
    before = await row_counts(database), state_of(await schedule(database))

    await run_at(database, day(15))
    after_failure = await row_counts(database), state_of(await schedule(database))
    still = await subscription_of(client, company.access_token)
    await run_at(database, day(15.1))

    assert after_failure == before
    assert still["status"] == "past_due"
    assert (await subscription_of(client, company.access_token))["status"] == "cancelled"
    assert (await schedule(database)).status == "cancelled_subscription"
    kinds = await notification_kinds(client, company.access_token)
    assert kinds.count("subscription_cancelled") == 1


async def test_no_transaction_is_open_while_stripe_cancels(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    worker_database: Database,
) -> None:
    company = await past_due(client, fake_stripe, deliver)
    await run_at(worker_database, day(14))
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-worker")

    fake_stripe.while_answering(look_at_billing)
    await run_at(worker_database, day(15))

    assert seen == {f"DELETE /v1/subscriptions/{company.subscription_id}": []}
    assert (await subscription_of(client, company.access_token))["status"] == "cancelled"


async def test_two_workers_cancelling_at_once_cancel_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(14))
    path = f"/v1/subscriptions/{company.subscription_id}"
    # Both runs reach Stripe before either is answered; the one that writes second finds the
    # step taken.
    gathering = Gathering("DELETE", path, expected=2)
    fake_stripe.while_answering(gathering)

    await asyncio.gather(run_at(database, day(15)), run_at(database, day(15)))

    # Stripe answers the second 409 while the first holds the key; the client's retry follows.
    assert gathering.arrived >= 2
    keys = {
        call.request.headers["Idempotency-Key"]
        for call in fake_stripe.router.calls
        if call.request.method == "DELETE" and call.request.url.path == path
    }
    assert len(keys) == 1
    assert (await schedule(database)).status == "cancelled_subscription"
    kinds = await notification_kinds(client, company.access_token)
    assert kinds.count("subscription_cancelled") == 1
