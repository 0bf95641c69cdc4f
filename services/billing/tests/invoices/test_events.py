"""invoice.* events: renewals, failures and dunning, 3-D Secure, and the invoice records."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from billing.dunning.models import DunningSchedule
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import listed, notification_kinds, subscription_of
from ..scenario import MONTH, T0, Company, checked_out_company
from ..stripe_objects import DAY, event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


def at(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


async def active(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    company = await checked_out_company(client, fake_stripe)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    await deliver(
        event("invoice.paid", company.invoice("in_m0", period=0, status="paid"), created=T0)
    )
    return company


async def schedules(database: Database) -> list[DunningSchedule]:
    async with database.sessions() as session:
        return list((await session.execute(select(DunningSchedule))).scalars())


async def test_a_paid_renewal_extends_the_period_and_records_payment_and_invoice(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await active(client, fake_stripe, deliver)

    await deliver(
        event("invoice.paid", company.invoice("in_m1", period=1, status="paid"), created=T0 + MONTH)
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "active"
    assert subscription["current_period_end"] == at(T0 + 2 * MONTH)
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert [p["status"] for p in payments] == ["succeeded", "succeeded"]
    invoices = await listed(client, company.access_token, "/api/payments/invoices/")
    assert [i["status"] for i in invoices] == ["paid", "paid"]
    newest = invoices[0]
    assert newest["hosted_invoice_url"] == "https://invoice.stripe.test/i/in_m1"
    assert newest["invoice_pdf_url"].endswith("/pdf")
    assert newest["period_end"] == at(T0 + 2 * MONTH)


async def test_paid_and_payment_succeeded_for_one_invoice_count_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await active(client, fake_stripe, deliver)
    paid = company.invoice("in_m1", period=1, status="paid")

    await deliver(event("invoice.paid", paid, created=T0 + MONTH))
    await deliver(event("invoice.payment_succeeded", paid, created=T0 + MONTH))

    assert len(await listed(client, company.access_token, "/api/payments/payments/")) == 2


async def test_a_failed_renewal_is_past_due_starts_dunning_and_tells_the_user(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await active(client, fake_stripe, deliver)
    failed_at = T0 + MONTH + 60

    await deliver(
        event(
            "invoice.payment_failed",
            company.invoice("in_m1", period=1, status="open"),
            created=failed_at,
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "past_due"
    assert subscription["plan"]["slug"] == "professional"
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert payments[0]["status"] == "failed"
    [schedule] = await schedules(database)
    assert schedule.status == "active"
    assert schedule.started_at == datetime.fromtimestamp(failed_at, UTC)
    assert schedule.next_run_at == datetime.fromtimestamp(failed_at + 3 * DAY, UTC)
    assert "payment_failed" in await notification_kinds(client, company.access_token)


async def test_stripe_retries_failing_again_keep_one_schedule_and_one_notice(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await active(client, fake_stripe, deliver)

    for attempt in range(1, 4):
        failed = company.invoice("in_m1", period=1, status="open", attempt_count=attempt)
        await deliver(event("invoice.payment_failed", failed, created=T0 + MONTH + attempt * DAY))

    assert len(await schedules(database)) == 1
    kinds = await notification_kinds(client, company.access_token)
    assert kinds.count("payment_failed") == 1


async def test_a_later_success_recovers_and_stops_dunning(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await active(client, fake_stripe, deliver)
    await deliver(
        event(
            "invoice.payment_failed",
            company.invoice("in_m1", period=1, status="open"),
            created=T0 + MONTH,
        )
    )

    await deliver(
        event(
            "invoice.paid",
            company.invoice("in_m1", period=1, status="paid", attempt_count=2),
            created=T0 + MONTH + 4 * DAY,
        )
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "active"
    assert subscription["current_period_end"] == at(T0 + 2 * MONTH)
    [schedule] = await schedules(database)
    assert schedule.status == "recovered"
    assert schedule.next_run_at is None
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert payments[0]["status"] == "succeeded"
    assert "payment_recovered" in await notification_kinds(client, company.access_token)


async def test_a_failure_older_than_the_success_changes_nothing(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await active(client, fake_stripe, deliver)
    await deliver(
        event(
            "invoice.paid",
            company.invoice("in_m1", period=1, status="paid"),
            created=T0 + MONTH + 10,
        )
    )

    await deliver(
        event(
            "invoice.payment_failed",
            company.invoice("in_m1", period=1, status="open"),
            created=T0 + MONTH,
        )
    )

    assert (await subscription_of(client, company.access_token))["status"] == "active"
    assert await schedules(database) == []
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert payments[0]["status"] == "succeeded"


async def test_a_failed_first_payment_keeps_the_trial(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)

    await deliver(
        event(
            "invoice.payment_failed",
            company.invoice("in_first", period=0, status="open"),
            created=T0,
        )
    )

    assert (await subscription_of(client, company.access_token))["status"] == "trial"
    assert await schedules(database) == []
    assert "payment_failed" in await notification_kinds(client, company.access_token)


async def test_action_required_is_shown_until_the_invoice_is_paid(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await active(client, fake_stripe, deliver)
    renewal = company.invoice("in_m1", period=1, status="open")

    await deliver(event("invoice.payment_action_required", renewal, created=T0 + MONTH))
    shown = await subscription_of(client, company.access_token)
    await deliver(
        event(
            "invoice.paid",
            company.invoice("in_m1", period=1, status="paid"),
            created=T0 + MONTH + 300,
        )
    )

    assert shown["action_required"] == {
        "type": "confirm_payment",
        "invoice_id": "in_m1",
        "hosted_invoice_url": "https://invoice.stripe.test/i/in_m1",
    }
    assert (await subscription_of(client, company.access_token))["action_required"] is None
    assert "payment_action_required" in await notification_kinds(client, company.access_token)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("invoice.created", "draft"),
        ("invoice.finalized", "open"),
        ("invoice.voided", "void"),
        ("invoice.marked_uncollectible", "uncollectible"),
    ],
)
async def test_invoice_lifecycle_events_keep_the_record(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    event_type: str,
    status: str,
) -> None:
    company = await active(client, fake_stripe, deliver)

    await deliver(
        event(event_type, company.invoice("in_m1", period=1, status=status), created=T0 + MONTH)
    )

    newest = (await listed(client, company.access_token, "/api/payments/invoices/"))[0]
    assert newest["status"] == status
    assert newest["number"] == "FH-in_m1"
    assert newest["amount_due_cents"] == 7900


async def test_a_paid_invoice_is_not_reopened_by_a_late_finalized_event(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await active(client, fake_stripe, deliver)
    await deliver(
        event("invoice.paid", company.invoice("in_m1", period=1, status="paid"), created=T0 + MONTH)
    )

    await deliver(
        event(
            "invoice.finalized",
            company.invoice("in_m1", period=1, status="open"),
            created=T0 + MONTH + 5,
        )
    )

    newest = (await listed(client, company.access_token, "/api/payments/invoices/"))[0]
    assert newest["status"] == "paid"


async def test_upcoming_invoice_warns_of_the_renewal(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await active(client, fake_stripe, deliver)
    upcoming = company.invoice("in_x", period=1, status="draft")
    upcoming["id"] = None

    await deliver(event("invoice.upcoming", upcoming, created=T0 + MONTH - 7 * DAY))

    assert "renewal_upcoming" in await notification_kinds(client, company.access_token)
    assert len(await listed(client, company.access_token, "/api/payments/invoices/")) == 1


async def test_a_late_paid_event_of_an_older_invoice_does_not_clear_past_due(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    await deliver(
        event(
            "invoice.payment_failed",
            company.invoice("in_m1", period=1, status="open"),
            created=T0 + MONTH,
        )
    )

    await deliver(
        event("invoice.paid", company.invoice("in_m0", period=0, status="paid"), created=T0)
    )

    assert (await subscription_of(client, company.access_token))["status"] == "past_due"
    [schedule] = await schedules(database)
    assert schedule.status == "active"
