"""customer.* and payment_method.* events: the default card (never its number), expiry notices."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from billing.customers.models import StripeCustomer
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import notification_kinds, subscription_of
from ..scenario import T0, checked_out_company
from ..stripe_objects import customer, event, payment_method
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_the_default_card_is_shown_by_brand_last4_and_expiry(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    visa = payment_method("pm_visa", company.customer_id, brand="visa", last4="4242")
    master = payment_method("pm_master", company.customer_id, brand="mastercard", last4="4444")

    await deliver(event("payment_method.attached", visa, created=T0))
    await deliver(event("payment_method.attached", master, created=T0 + 10))
    await deliver(
        event(
            "customer.updated",
            customer(company.customer_id, email="fin@acme.com", default_payment_method="pm_visa"),
            created=T0 + 20,
        )
    )

    card = (await subscription_of(client, company.access_token))["payment_method"]
    assert card == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}


async def test_a_detached_card_is_no_longer_shown(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    visa = payment_method("pm_visa2", company.customer_id)

    await deliver(event("payment_method.attached", visa, created=T0))
    await deliver(event("payment_method.detached", {**visa, "customer": None}, created=T0 + 5))

    assert (await subscription_of(client, company.access_token))["payment_method"] is None


async def test_an_updated_card_with_a_near_expiry_sends_one_notice(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    now = datetime.fromtimestamp(T0, UTC)
    expiring = payment_method("pm_exp", company.customer_id, exp_month=now.month, exp_year=now.year)

    await deliver(event("payment_method.attached", expiring, created=T0))
    await deliver(event("payment_method.automatically_updated", expiring, created=T0 + 5))
    renewed = {**expiring, "card": {**expiring["card"], "exp_year": now.year + 3}}
    await deliver(event("payment_method.updated", renewed, created=T0 + 10))

    assert (await notification_kinds(client, company.access_token)).count("card_expiring") == 1
    card = (await subscription_of(client, company.access_token))["payment_method"]
    assert card["exp_year"] == now.year + 3


async def test_a_deleted_customer_is_marked(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)

    await deliver(
        event("customer.deleted", {**customer(company.customer_id), "deleted": True}, created=T0)
    )

    async with database.sessions() as session:
        record = (await session.execute(select(StripeCustomer))).scalar_one()
    assert record.deleted_at == datetime.fromtimestamp(T0, UTC)
    response = await client.post("/api/payments/portal/", headers=company.headers)
    assert response.json()["code"] == "no_billing_account"
