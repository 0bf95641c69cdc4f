"""A whole subscription lifecycle, delivered in order, shuffled, duplicated and concurrently.

Checkout, a renewal, a failed renewal with dunning, recovery, cancellation at period end: however
Stripe's events arrive, the company ends in the same state.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from billing.config import get_settings
from billing.dunning.jobs import run_dunning
from billing.dunning.models import DunningSchedule
from billing.stripe.client import open_stripe_client
from billing.subscriptions.repository import lock_for_company
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import entitlement_snapshots, listed, subscription_of
from ..scenario import MONTH, T0, Company, checked_out_company
from ..stripe_objects import DAY, checkout_session, event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

FAILED_AT = T0 + 2 * MONTH
RECOVERED_AT = FAILED_AT + 4 * DAY
CANCEL_REQUESTED_AT = RECOVERED_AT + 6 * DAY
ENDED_AT = T0 + 3 * MONTH
# Events before this index take the company through recovery; the rest cancel it.
RECOVERY_DONE = 10


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def lifecycle(company: Company) -> list[dict[str, Any]]:
    """Stripe's events for the company, in the order Stripe made them."""

    def sub(status: str, period: int, **changes: Any) -> dict[str, Any]:
        start = T0 + period * MONTH
        return company.subscription(
            status=status, period_start=start, period_end=start + MONTH, **changes
        )

    def inv(month: int, status: str, **changes: Any) -> dict[str, Any]:
        return company.invoice(
            f"in_{company.subscription_id}_m{month}", period=month, status=status, **changes
        )

    session = checkout_session(
        f"cs_{company.subscription_id}",
        company.customer_id,
        company.subscription_id,
        metadata=company.metadata,
        invoice_id=f"in_{company.subscription_id}_m0",
    )
    return [
        event("customer.subscription.created", sub("incomplete", 0), created=T0),
        event("invoice.paid", inv(0, "paid"), created=T0 + 3),
        event("customer.subscription.updated", sub("active", 0), created=T0 + 4),
        event("checkout.session.completed", session, created=T0 + 5),
        event("invoice.paid", inv(1, "paid"), created=T0 + MONTH),
        event("customer.subscription.updated", sub("active", 1), created=T0 + MONTH + 1),
        event("invoice.payment_failed", inv(2, "open"), created=FAILED_AT),
        event("customer.subscription.updated", sub("past_due", 2), created=FAILED_AT + 1),
        event("invoice.paid", inv(2, "paid", attempt_count=2), created=RECOVERED_AT),
        event("customer.subscription.updated", sub("active", 2), created=RECOVERED_AT + 1),
        event(
            "customer.subscription.updated",
            sub("active", 2, cancel_at_period_end=True),
            created=CANCEL_REQUESTED_AT,
            previous_attributes={"cancel_at_period_end": False},
        ),
        event(
            "customer.subscription.deleted",
            sub("canceled", 2, cancel_at_period_end=True, canceled_at=ENDED_AT),
            created=ENDED_AT,
        ),
    ]


async def final_state(
    client: httpx.AsyncClient, database: Database, company: Company
) -> dict[str, Any]:
    """What the company and its receivers can see, without ids that differ between companies."""
    subscription = await subscription_of(client, company.access_token)
    subscription.pop("trial_ends_at")
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    invoices = await listed(client, company.access_token, "/api/payments/invoices/")
    snapshot = (await entitlement_snapshots(database, company.company_id))[-1]
    async with database.sessions() as session:
        running = await session.execute(
            select(DunningSchedule).where(
                DunningSchedule.company_id == UUID(company.company_id),
                DunningSchedule.status == "active",
            )
        )
    return {
        "subscription": subscription,
        "payments": sorted((p["status"], p["amount_cents"]) for p in payments),
        "invoices": sorted((i["status"], i["period_end"]) for i in invoices),
        "entitlements": {key: snapshot[key] for key in ("plan", "status", "limits", "valid_until")},
        "running_dunning": list(running.scalars()),
    }


async def run_dunning_at(database: Database, moment: int) -> None:
    async with open_stripe_client(get_settings()) as stripe_client:
        await run_dunning(database, stripe_client, now=datetime.fromtimestamp(moment, UTC))


def shuffled_with_duplicates(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    generator = random.Random(seed)
    delivered = events + generator.sample(events, k=min(4, len(events)))
    generator.shuffle(delivered)
    return delivered


async def test_in_order_then_shuffled_with_duplicates_ends_the_same(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    in_order = await checked_out_company(client, fake_stripe)
    events = lifecycle(in_order)
    for stripe_event in events[:RECOVERY_DONE]:
        await deliver(stripe_event)
        if stripe_event["created"] == FAILED_AT + 1:
            await run_dunning_at(database, FAILED_AT + 3 * DAY)
    recovered = await final_state(client, database, in_order)
    for stripe_event in events[RECOVERY_DONE:]:
        await deliver(stripe_event)
    ended = await final_state(client, database, in_order)

    # Day 3's retry was asked of Stripe (which never made this invoice: the events tell the story).
    assert fake_stripe.calls("POST", f"/v1/invoices/in_{in_order.subscription_id}_m2/pay")
    assert recovered["subscription"]["status"] == "active"
    assert recovered["subscription"]["plan"]["slug"] == "professional"
    assert recovered["subscription"]["current_period_end"] == iso(T0 + 3 * MONTH)
    assert recovered["running_dunning"] == []
    assert ended["subscription"]["status"] == "cancelled"
    assert ended["subscription"]["plan"] is None
    assert ended["subscription"]["cancel_at_period_end"] is True
    assert ended["subscription"]["current_period_end"] == iso(T0 + 3 * MONTH)
    assert ended["payments"] == [("succeeded", 7900)] * 3
    assert [status for status, _ in ended["invoices"]] == ["paid"] * 3
    assert ended["entitlements"]["status"] == "cancelled"

    for seed in range(4):
        whole = await checked_out_company(client, fake_stripe)
        for stripe_event in shuffled_with_duplicates(lifecycle(whole), seed):
            await deliver(stripe_event)
        await run_dunning_at(database, FAILED_AT + 3 * DAY)
        assert await final_state(client, database, whole) == ended, f"seed {seed}"

        halves = await checked_out_company(client, fake_stripe)
        events = lifecycle(halves)
        for stripe_event in shuffled_with_duplicates(events[:RECOVERY_DONE], seed):
            await deliver(stripe_event)
        await run_dunning_at(database, FAILED_AT + 3 * DAY)
        assert await final_state(client, database, halves) == recovered, f"seed {seed}"
        for stripe_event in shuffled_with_duplicates(events[RECOVERY_DONE:], seed):
            await deliver(stripe_event)
        assert await final_state(client, database, halves) == ended, f"seed {seed}"


async def test_two_events_for_one_company_take_turns_on_the_row_lock(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)
    renewal = lifecycle(company)[4]

    async with database.transaction() as holder:
        await lock_for_company(holder, UUID(company.company_id))
        waiting = asyncio.create_task(deliver(renewal))
        await asyncio.sleep(0.5)
        assert not waiting.done()
    await asyncio.wait_for(waiting, timeout=10)

    assert (await subscription_of(client, company.access_token))["status"] == "active"


async def test_concurrent_events_leave_the_newer_state(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)
    events = lifecycle(company)
    for stripe_event in events[:6]:
        await deliver(stripe_event)
    failed, past_due, recovered, active_again = events[6:10]

    await asyncio.gather(
        deliver(recovered), deliver(failed), deliver(active_again), deliver(past_due)
    )

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "active"
    assert subscription["current_period_end"] == iso(T0 + 3 * MONTH)
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert sorted(p["status"] for p in payments) == ["succeeded"] * 3
