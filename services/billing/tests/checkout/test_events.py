"""checkout.session.* events: the subscription starts once Stripe has the money."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import Deliver
from ..helpers import listed, notification_kinds, subscription_of
from ..scenario import T0, checked_out_company
from ..stripe_objects import checkout_session, event, new_id
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_a_paid_checkout_activates_the_plan_and_records_the_payment(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe, plan_id=1, billing_period="yearly")

    await deliver(company.checkout_completed())

    subscription = await subscription_of(client, company.access_token)
    assert subscription["status"] == "active"
    assert subscription["plan"]["slug"] == "starter"
    assert subscription["billing_period"] == "yearly"
    assert subscription["limits"]["bank_accounts"] == 3
    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["status"] == "succeeded"
    assert payment["amount_cents"] == 7900
    assert "subscription_active" in await notification_kinds(client, company.access_token)


async def test_an_unpaid_checkout_waits_for_the_async_payment(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    session = checkout_session(
        new_id("cs"),
        company.customer_id,
        company.subscription_id,
        metadata=company.metadata,
        payment_status="unpaid",
        invoice_id=new_id("in"),
    )

    await deliver(event("checkout.session.completed", session, created=T0))
    waiting = await subscription_of(client, company.access_token)
    paid = {**session, "payment_status": "paid"}
    await deliver(event("checkout.session.async_payment_succeeded", paid, created=T0 + 60))

    assert waiting["status"] == "trial"
    assert (await subscription_of(client, company.access_token))["status"] == "active"
    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["status"] == "succeeded"


async def test_a_failed_async_payment_leaves_the_trial_and_tells_the_user(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    session = checkout_session(
        new_id("cs"),
        company.customer_id,
        company.subscription_id,
        metadata=company.metadata,
        payment_status="unpaid",
        invoice_id=new_id("in"),
    )

    await deliver(event("checkout.session.completed", session, created=T0))
    await deliver(event("checkout.session.async_payment_failed", session, created=T0 + 60))

    assert (await subscription_of(client, company.access_token))["status"] == "trial"
    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["status"] == "failed"
    assert "payment_failed" in await notification_kinds(client, company.access_token)


async def test_an_expired_checkout_changes_nothing(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    session = checkout_session(
        new_id("cs"),
        company.customer_id,
        None,
        metadata=company.metadata,
        payment_status="unpaid",
        status="expired",
    )

    await deliver(event("checkout.session.expired", session, created=T0))

    assert (await subscription_of(client, company.access_token))["status"] == "trial"
    assert await listed(client, company.access_token, "/api/payments/payments/") == []


async def test_a_redelivered_checkout_event_has_one_effect(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    completed = company.checkout_completed()

    await deliver(completed)
    await deliver(completed)

    assert len(await listed(client, company.access_token, "/api/payments/payments/")) == 1
    kinds = await notification_kinds(client, company.access_token)
    assert kinds.count("subscription_active") == 1


async def test_a_checkout_of_a_stranger_is_ignored(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    session = checkout_session(
        new_id("cs"), "cus_someone_else", new_id("sub"), metadata={}, invoice_id=new_id("in")
    )

    await deliver(event("checkout.session.completed", session, created=T0))

    assert (await subscription_of(client, company.access_token))["status"] == "trial"
