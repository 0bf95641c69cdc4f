"""A second live subscription of a subscribed company (two checkouts both paid) is cancelled at
Stripe and its first payment refunded by the worker, once, and never takes the company over."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import select

from billing.audit.models import AuditEntry
from billing.subscriptions.jobs import settle_duplicates
from billing.subscriptions.models import DuplicateSubscription, Subscription
from finhub_shared.db import Database

from .. import stripe_objects as so
from ..conftest import Deliver
from ..helpers import notification_kinds, open_transactions, subscription_of
from ..scenario import T0, Company, paid_at_stripe, subscribed_company
from ..stripe_sandbox import Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio


@dataclass
class Duplicate:
    """The company's second Stripe subscription, its paid checkout session and first invoice."""

    subscription_id: str
    session: dict[str, Any]
    invoice: dict[str, Any]

    @property
    def payment_intent(self) -> str:
        [payment] = self.invoice["payments"]["data"]
        intent: str = payment["payment"]["payment_intent"]
        return intent


async def second_subscription(
    company: Company, fake_stripe: SandboxStripe, stripe_client: stripe.StripeClient
) -> Duplicate:
    """A second subscription Stripe made for the company: another checkout of the same plan,
    opened at Stripe and paid too."""
    paid = await paid_at_stripe(
        fake_stripe,
        stripe_client,
        company.customer_id,
        "price_finhub_professional_monthly",
        company.metadata,
    )
    invoice = dict(fake_stripe.invoices[paid["invoice"]])
    return Duplicate(paid["subscription"], paid, invoice)


async def created(deliver: Deliver, fake_stripe: SandboxStripe, duplicate: Duplicate) -> None:
    """Stripe tells billing of the second subscription."""
    stripe_subscription = dict(fake_stripe.subscriptions[duplicate.subscription_id])
    await deliver(so.event("customer.subscription.created", stripe_subscription, created=T0 + 60))


async def stripe_subscription_of(database: Database, company: Company) -> str | None:
    """The Stripe subscription billing follows for the company."""
    async with database.sessions() as session:
        statement = select(Subscription.stripe_subscription_id).where(
            Subscription.company_id == uuid.UUID(company.company_id)
        )
        return await session.scalar(statement)


async def audit_actions(database: Database, company: Company) -> list[str]:
    async with database.sessions() as session:
        statement = (
            select(AuditEntry.action)
            .where(AuditEntry.company_id == uuid.UUID(company.company_id))
            .order_by(AuditEntry.id)
        )
        return list((await session.execute(statement)).scalars())


async def the_duplicate(database: Database) -> DuplicateSubscription:
    async with database.sessions() as session:
        return (await session.execute(select(DuplicateSubscription))).scalar_one()


def keys_of(fake_stripe: SandboxStripe, method: str, path: str) -> list[str]:
    """The Idempotency-Key of every call of `method path`, in order."""
    return [
        call.request.headers.get("Idempotency-Key", "")
        for call in fake_stripe.router.calls
        if (call.request.method, call.request.url.path) == (method, path)
    ]


async def test_a_second_subscription_is_cancelled_and_its_first_payment_refunded(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)

    await created(deliver, fake_stripe, duplicate)
    # The event only records it: Stripe is called by the worker's job.
    cancelled_by_handler = fake_stripe.calls(
        "DELETE", f"/v1/subscriptions/{duplicate.subscription_id}"
    )
    await settle_duplicates(database, stripe_client)

    assert cancelled_by_handler == []
    record = await the_duplicate(database)
    cancel_path = f"/v1/subscriptions/{duplicate.subscription_id}"
    assert keys_of(fake_stripe, "DELETE", cancel_path) == [f"duplicate-cancel-{record.id}"]
    assert fake_stripe.subscriptions[duplicate.subscription_id]["status"] == "canceled"
    [refund] = fake_stripe.calls("POST", "/v1/refunds")
    assert refund["payment_intent"] == duplicate.payment_intent
    assert refund["reason"] == "duplicate"
    assert keys_of(fake_stripe, "POST", "/v1/refunds") == [f"duplicate-refund-{record.id}"]
    assert (record.status, record.refunded_cents) == ("settled", 7900)
    actions = await audit_actions(database, company)
    assert actions[-1] == "duplicate_subscription_cancelled"
    assert "duplicate_subscription_found" in actions
    kinds = await notification_kinds(client, company.access_token)
    assert kinds[-1] == "duplicate_subscription_cancelled"
    assert await stripe_subscription_of(database, company) == company.subscription_id
    assert (await subscription_of(client, company.access_token))["status"] == "active"


async def test_a_refund_failing_at_stripe_is_retried_without_refunding_twice(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)
    await created(deliver, fake_stripe, duplicate)
    fake_stripe.fail("POST", "/v1/refunds", status=500, times=3)  # every attempt of one run

    await settle_duplicates(database, stripe_client)
    failed = await the_duplicate(database)
    for _ in range(2):
        await settle_duplicates(database, stripe_client)

    assert (failed.status, failed.attempts) == ("to_refund", 1)
    assert len(fake_stripe.calls("DELETE", f"/v1/subscriptions/{duplicate.subscription_id}")) == 1
    assert len(fake_stripe.refunds) == 1
    assert set(keys_of(fake_stripe, "POST", "/v1/refunds")) == {f"duplicate-refund-{failed.id}"}
    assert (await the_duplicate(database)).status == "settled"
    assert (await audit_actions(database, company)).count("duplicate_subscription_cancelled") == 1
    kinds = await notification_kinds(client, company.access_token)
    assert kinds.count("duplicate_subscription_cancelled") == 1


async def test_a_subscription_already_cancelled_at_stripe_still_has_its_payment_refunded(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)
    await created(deliver, fake_stripe, duplicate)
    # The cancel went through, but its answer was lost: Stripe refuses to cancel again.
    await stripe_client.v1.subscriptions.cancel_async(duplicate.subscription_id)

    await settle_duplicates(database, stripe_client)

    assert (await the_duplicate(database)).status == "settled"
    assert len(fake_stripe.refunds) == 1


async def test_two_workers_at_once_cancel_and_refund_once(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)
    await created(deliver, fake_stripe, duplicate)
    gathering = Gathering("POST", "/v1/refunds", expected=2)
    fake_stripe.while_answering(gathering)

    await asyncio.gather(
        settle_duplicates(database, stripe_client), settle_duplicates(database, stripe_client)
    )

    assert len(fake_stripe.refunds) == 1
    assert (await audit_actions(database, company)).count("duplicate_subscription_cancelled") == 1


async def test_no_transaction_is_open_while_stripe_cancels_and_refunds(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    worker_database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)
    await created(deliver, fake_stripe, duplicate)
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-worker")

    fake_stripe.while_answering(look_at_billing)
    await settle_duplicates(worker_database, stripe_client)

    assert seen == {
        f"DELETE /v1/subscriptions/{duplicate.subscription_id}": [],
        f"GET /v1/invoices/{duplicate.invoice['id']}": [],
        "POST /v1/refunds": [],
    }


async def test_the_duplicates_later_events_never_take_the_company_over(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    duplicate = await second_subscription(company, fake_stripe, stripe_client)
    await created(deliver, fake_stripe, duplicate)
    invoice = duplicate.invoice

    await deliver(so.event("checkout.session.completed", duplicate.session, created=T0 + 61))
    await deliver(so.event("invoice.paid", invoice, created=T0 + 62))
    followed_while_active = await stripe_subscription_of(database, company)
    # The company then cancels the subscription it kept; the duplicate's news arrives late.
    ended = company.subscription(status="canceled", canceled_at=T0 + 100)
    await deliver(so.event("customer.subscription.deleted", ended, created=T0 + 100))
    await deliver(so.event("invoice.payment_succeeded", invoice, created=T0 + 62))
    await deliver(
        so.event(
            "customer.subscription.updated",
            dict(fake_stripe.subscriptions[duplicate.subscription_id]),
            created=T0 + 101,
        )
    )

    assert followed_while_active == company.subscription_id
    assert await stripe_subscription_of(database, company) == company.subscription_id
    assert (await subscription_of(client, company.access_token))["status"] == "cancelled"


async def test_a_company_without_a_live_subscription_takes_a_new_one(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    ended = company.subscription(status="canceled", canceled_at=T0 + 30)
    await deliver(so.event("customer.subscription.deleted", ended, created=T0 + 30))
    resubscribed = await second_subscription(company, fake_stripe, stripe_client)

    await created(deliver, fake_stripe, resubscribed)

    assert await stripe_subscription_of(database, company) == resubscribed.subscription_id
    assert (await subscription_of(client, company.access_token))["status"] == "active"
    async with database.sessions() as session:
        assert (await session.execute(select(DuplicateSubscription))).first() is None
