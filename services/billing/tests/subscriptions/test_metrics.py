"""Billing counts subscriptions entering each status, as Prometheus would scrape it."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from ..conftest import Deliver
from ..scenario import subscribed_company
from ..stripe_sandbox import SandboxStripe


def entering(status: str) -> float:
    value = REGISTRY.get_sample_value("billing_subscriptions_entering_total", {"status": status})
    return value or 0.0


@pytest.mark.asyncio
async def test_a_trial_then_a_paid_plan_are_counted_once_each(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    trials, actives = entering("trial"), entering("active")

    await subscribed_company(client, fake_stripe, deliver)

    assert entering("trial") - trials == 1
    assert entering("active") - actives == 1
