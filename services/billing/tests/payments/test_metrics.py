"""Billing counts payments entering each status, as Prometheus would scrape it."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from ..conftest import Deliver
from ..paid_company import paid_company
from ..scenario import MONTH, T0
from ..stripe_objects import event, payment_intent
from ..stripe_sandbox import SandboxStripe

pytestmark = pytest.mark.asyncio


def entering(status: str) -> float:
    value = REGISTRY.get_sample_value("billing_payments_entering_total", {"status": status})
    return value or 0.0


async def test_a_failed_renewal_is_counted_once_however_often_stripe_says_so(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await paid_company(client, fake_stripe, deliver)
    failures = entering("failed")
    renewal = company.invoice("in_m1", period=1, status="open")
    await deliver(event("invoice.finalized", renewal, created=T0 + MONTH))

    await deliver(event("invoice.payment_failed", renewal, created=T0 + MONTH + 1))
    declined = payment_intent(
        "pi_in_m1",
        company.customer_id,
        status="requires_payment_method",
        error_message="Your card was declined.",
    )
    await deliver(event("payment_intent.payment_failed", declined, created=T0 + MONTH + 2))

    assert entering("failed") - failures == 1


async def test_a_paid_first_invoice_counts_no_failure(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    failures, successes = entering("failed"), entering("succeeded")

    await paid_company(client, fake_stripe, deliver)

    assert entering("failed") == failures
    assert entering("succeeded") - successes == 1
