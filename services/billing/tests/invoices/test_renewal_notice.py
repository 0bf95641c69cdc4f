"""The notice of a paid renewal: once per invoice, with its links; never for a checkout's first
invoice, and a recovered payment is told as such instead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..conftest import Deliver
from ..helpers import bearer
from ..scenario import MONTH, T0, Company, checked_out_company
from ..stripe_objects import DAY, checkout_session, event
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def subscribed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> Company:
    """A company through checkout, its first invoice paid (as Stripe tells it, twice)."""
    company = await checked_out_company(client, fake_stripe)
    created = company.subscription(status="incomplete")
    await deliver(event("customer.subscription.created", created, created=T0))
    first = company.invoice("in_first", period=0, status="paid")
    await deliver(event("invoice.paid", first, created=T0 + 1))
    await deliver(event("invoice.payment_succeeded", first, created=T0 + 1))
    session = checkout_session(
        company.checkout_session_id,
        company.customer_id,
        company.subscription_id,
        metadata=company.metadata,
        invoice_id="in_first",
    )
    await deliver(event("checkout.session.completed", session, created=T0 + 2))
    return company


async def notices(client: httpx.AsyncClient, company: Company) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/notifications/", params={"page_size": 100}, headers=bearer(company.access_token)
    )
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def of_kind(told: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [notice for notice in told if notice["kind"] == kind]


async def test_a_paid_renewal_is_told_once_with_its_invoice(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)
    renewal = company.invoice("in_r1", period=1, status="paid")

    paid = event("invoice.paid", renewal, created=T0 + MONTH)
    await deliver(paid)
    await deliver(event("invoice.payment_succeeded", renewal, created=T0 + MONTH))
    await deliver(paid)  # redelivered
    await deliver(event("invoice.updated", renewal, created=T0 + MONTH + 5))

    told = await notices(client, company)
    [renewed] = of_kind(told, "renewal_paid")
    assert renewed["data"] == {
        "invoice_id": "in_r1",
        "hosted_invoice_url": "https://invoice.stripe.test/i/in_r1",
        "invoice_pdf_url": "https://invoice.stripe.test/i/in_r1/pdf",
        "amount_paid_cents": 7900,
        "currency": "BRL",
    }
    assert "79.00 BRL" in renewed["message"]


async def test_each_renewal_gets_its_own_notice(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)

    for month in (1, 2):
        renewal = company.invoice(f"in_r{month}", period=month, status="paid")
        await deliver(event("invoice.paid", renewal, created=T0 + month * MONTH))

    renewed = of_kind(await notices(client, company), "renewal_paid")
    assert [notice["data"]["invoice_id"] for notice in renewed] == ["in_r1", "in_r2"]


async def test_the_first_invoice_of_a_checkout_is_told_as_the_start_only(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)

    kinds = [notice["kind"] for notice in await notices(client, company)]
    assert kinds.count("subscription_active") == 1
    assert "renewal_paid" not in kinds


async def test_a_renewal_paid_after_failing_is_told_as_recovered_only(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed(client, fake_stripe, deliver)
    failed = company.invoice("in_r1", period=1, status="open")
    await deliver(event("invoice.payment_failed", failed, created=T0 + MONTH))

    paid = company.invoice("in_r1", period=1, status="paid", attempt_count=2)
    await deliver(event("invoice.paid", paid, created=T0 + MONTH + 2 * DAY))
    await deliver(event("invoice.payment_succeeded", paid, created=T0 + MONTH + 2 * DAY))

    kinds = [notice["kind"] for notice in await notices(client, company)]
    assert kinds.count("payment_recovered") == 1
    assert "renewal_paid" not in kinds
