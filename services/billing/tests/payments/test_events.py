"""payment_intent.* and charge.* events update the payment they belong to."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import Deliver
from ..helpers import listed, notification_kinds, subscription_of
from ..paid_company import paid_company
from ..scenario import MONTH, T0
from ..stripe_objects import charge, event, payment_intent, refund
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_a_partial_refund_keeps_the_payment_succeeded(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    refunded = charge(
        company.first_charge, company.customer_id, company.first_intent, amount_refunded=2000
    )

    await deliver(event("charge.refunded", refunded, created=T0 + 100))

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["status"] == "succeeded"
    assert payment["amount_refunded_cents"] == 2000
    assert "payment_refunded" in await notification_kinds(client, company.access_token)


async def test_a_full_refund_marks_the_payment_refunded(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    refunded = charge(
        company.first_charge, company.customer_id, company.first_intent, amount_refunded=7900
    )

    await deliver(event("charge.refunded", refunded, created=T0 + 100))
    await deliver(
        event(
            "charge.succeeded",
            charge(company.first_charge, company.customer_id, company.first_intent),
            created=T0 + 1,
        )
    )

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["status"] == "refunded"
    assert payment["amount_refunded_cents"] == 7900


async def test_refund_updates_are_kept_with_the_payment(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    pending = refund(
        "re_1", company.first_charge, company.first_intent, amount=2000, status="pending"
    )
    succeeded = {**pending, "status": "succeeded"}

    await deliver(event("charge.refund.updated", succeeded, created=T0 + 200))
    await deliver(event("charge.refund.updated", pending, created=T0 + 100))

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    detail = await client.get(f"/api/payments/payments/{payment['id']}", headers=company.headers)
    assert detail.json()["refunds"] == [
        {
            "amount_cents": 2000,
            "currency": "BRL",
            "status": "succeeded",
            "reason": "requested_by_customer",
        }
    ]


async def test_payment_intent_events_follow_a_renewal(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    renewal = company.invoice("in_m1", period=1, status="open")
    await deliver(event("invoice.finalized", renewal, created=T0 + MONTH))
    await deliver(event("invoice.payment_failed", renewal, created=T0 + MONTH + 1))
    intent = "pi_in_m1"

    await deliver(
        event(
            "payment_intent.payment_failed",
            payment_intent(
                intent,
                company.customer_id,
                status="requires_payment_method",
                error_message="Your card was declined.",
            ),
            created=T0 + MONTH + 2,
        )
    )
    failed = (await listed(client, company.access_token, "/api/payments/payments/"))[0]
    await deliver(
        event(
            "payment_intent.processing",
            payment_intent(intent, company.customer_id, status="processing"),
            created=T0 + MONTH + 100,
        )
    )

    assert failed["status"] == "failed"
    assert failed["failure_message"] == "Your card was declined."
    processing = (await listed(client, company.access_token, "/api/payments/payments/"))[0]
    assert processing["status"] == "processing"


async def test_requires_action_asks_the_user_to_confirm(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    renewal = company.invoice("in_m1", period=1, status="open")
    await deliver(event("invoice.payment_failed", renewal, created=T0 + MONTH))

    await deliver(
        event(
            "payment_intent.requires_action",
            payment_intent("pi_in_m1", company.customer_id, status="requires_action"),
            created=T0 + MONTH + 5,
        )
    )

    action = (await subscription_of(client, company.access_token))["action_required"]
    assert action["hosted_invoice_url"] == "https://invoice.stripe.test/i/in_m1"


async def test_a_charge_of_an_unknown_payment_is_ignored(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)

    await deliver(
        event("charge.refunded", charge("ch_x", "cus_x", "pi_x", amount_refunded=100), created=T0)
    )

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    assert payment["amount_refunded_cents"] == 0


async def test_history_is_newest_first_by_stripe_time_and_paginated(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    for month in (3, 1, 2):
        paid = company.invoice(f"in_m{month}", period=month, status="paid")
        await deliver(event("invoice.paid", paid, created=T0 + month * MONTH))

    first = await client.get(
        "/api/payments/payments/", params={"page_size": 3}, headers=company.headers
    )
    second = await client.get(
        "/api/payments/payments/", params={"page": 2, "page_size": 3}, headers=company.headers
    )

    assert first.json()["total"] == 4
    invoices = [p["stripe_invoice_id"] for p in first.json()["items"] + second.json()["items"]]
    assert invoices == ["in_m3", "in_m2", "in_m1", company.first_invoice]
