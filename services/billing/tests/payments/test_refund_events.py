"""Stripe's refund.* events keep the refund with its payment, as charge.refund.updated does."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import Deliver
from ..helpers import listed
from ..paid_company import paid_company
from ..scenario import T0
from ..stripe_objects import event, refund
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_a_refund_created_then_failed_is_kept_failed(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    pending = refund(
        "re_9", company.first_charge, company.first_intent, amount=1500, status="pending"
    )

    await deliver(event("refund.created", pending, created=T0 + 100))
    await deliver(event("refund.failed", {**pending, "status": "failed"}, created=T0 + 300))
    await deliver(event("refund.updated", pending, created=T0 + 200))

    [payment] = await listed(client, company.access_token, "/api/payments/payments/")
    detail = await client.get(f"/api/payments/payments/{payment['id']}", headers=company.headers)
    assert [(r["amount_cents"], r["status"]) for r in detail.json()["refunds"]] == [
        (1500, "failed")
    ]
