"""What the most frequent Stripe events ask of the database: each statement costs the worker CPU,
so a lookup or a write that one event makes twice is a regression."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event as sqlalchemy_event

from finhub_shared.db import Database

from .conftest import Deliver
from .helpers import listed, subscription_of
from .paid_company import PaidCompany, paid_company
from .scenario import MONTH, T0
from .stripe_objects import event, payment_intent
from .stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio

# A statement's verb and the table it is about (a SELECT's first FROM, which comes before any
# subquery of its WHERE).
STATEMENT = re.compile(r"^(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) (\w+)")


def iso(stripe_time: int) -> str:
    return datetime.fromtimestamp(stripe_time, UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def statements(database: Database) -> Iterator[Counter[str]]:
    """How many statements of each kind ("SELECT payments") the block sends."""
    counted: Counter[str] = Counter()

    def seen(*args: Any) -> None:
        statement = " ".join(str(args[2]).split())
        found = STATEMENT.match(statement)
        if found:
            counted[f"{statement.split()[0]} {found.group(1)}"] += 1

    engine = database.engine.sync_engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", seen)
    try:
        yield counted
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", seen)


async def renewed(company: PaidCompany, deliver: Deliver, database: Database) -> Counter[str]:
    """The statements of the paid renewal of the company's second month."""
    paid = company.invoice("in_m1", period=1, status="paid")
    with statements(database) as sent:
        await deliver(event("invoice.paid", paid, created=T0 + MONTH))
    return sent


async def test_a_paid_renewal_reads_and_writes_each_row_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await paid_company(client, fake_stripe, deliver)

    sent = await renewed(company, deliver, database)

    assert sent["SELECT plans"] == 1
    assert sent["SELECT payments"] == 1
    assert sent["UPDATE subscriptions"] == 1
    # The notification's insert checks the company itself.
    assert sent["SELECT companies"] == 0
    subscription = await subscription_of(client, company.access_token)
    assert subscription["current_period_end"] == iso(T0 + 2 * MONTH)
    payments = await listed(client, company.access_token, "/api/payments/payments/")
    assert [payment["status"] for payment in payments] == ["succeeded", "succeeded"]


async def test_a_subscription_update_writes_the_subscription_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    renewed_at_stripe = company.subscription(period_start=T0 + MONTH, period_end=T0 + 2 * MONTH)

    with statements(database) as sent:
        await deliver(event("customer.subscription.updated", renewed_at_stripe, created=T0 + MONTH))

    assert sent["SELECT plans"] == 1
    assert sent["UPDATE subscriptions"] == 1
    subscription = await subscription_of(client, company.access_token)
    assert subscription["current_period_end"] == iso(T0 + 2 * MONTH)


async def test_a_payment_intent_event_finds_its_payment_in_one_read(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    await renewed(company, deliver, database)

    with statements(database) as sent:
        await deliver(
            event(
                "payment_intent.succeeded",
                payment_intent("pi_in_m1", company.customer_id, status="succeeded"),
                created=T0 + MONTH + 1,
            )
        )

    # One statement finds the payment's company and locks its subscription, one reads the payment.
    assert (sent["SELECT subscriptions"], sent["SELECT payments"]) == (1, 1)
