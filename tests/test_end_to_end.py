"""The whole billing journey across services, in one test, with the real PostgreSQL and RabbitMQ:

register at billing → checkout (billing calls the Stripe stand-in) → the customer pays →
the stand-in sends signed webhooks to the gateway → stored, relayed through the outbox to
RabbitMQ → billing's consumer handles them → the company's subscription is active; all along,
billing's entitlement snapshots reach banking through RabbitMQ, so banking enforces the limits of
the trial, then of the plan paid for.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from .parts import running_system


async def wait_for_limits(
    banking_api: httpx.AsyncClient, token: str, status: str, within: float = 60
) -> dict[str, Any]:
    """Banking's view of the company's plan, once billing's snapshot with `status` has arrived."""
    headers = {"Authorization": f"Bearer {token}"}
    async with asyncio.timeout(within):
        while True:
            usage = (await banking_api.get("/api/banking/usage/", headers=headers)).json()
            # Until billing's first snapshot arrives banking assumes a trial of its own (no plan).
            if usage["status"] == status and usage["plan"] is not None:
                return usage
            await asyncio.sleep(0.3)


async def wait_for_subscription(
    billing_api: httpx.AsyncClient, token: str, status: str, within: float = 60
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with asyncio.timeout(within):
        while True:
            subscription = (
                await billing_api.get("/api/payments/subscription/", headers=headers)
            ).json()
            if subscription["status"] == status:
                return subscription
            await asyncio.sleep(0.3)


@pytest.mark.asyncio
async def test_a_paid_checkout_reaches_billing_through_gateway_and_broker() -> None:
    async with running_system() as system:
        headers = await system.register(
            f"ana+{uuid.uuid4().hex[:6]}@padaria.com.br", "Ana Souza", "Padaria Pão Quente"
        )
        token = headers["Authorization"].removeprefix("Bearer ")
        subscription = await system.billing.get("/api/payments/subscription/", headers=headers)
        assert subscription.json()["status"] == "trial"
        trial = await wait_for_limits(system.banking, token, "trial")
        plans = (await system.billing.get("/api/payments/plans/")).json()
        enterprise = next(plan for plan in plans if plan["slug"] == "enterprise")

        await system.pay_checkout(headers, enterprise["id"])

        subscription = await wait_for_subscription(system.billing, token, "active")
        paid_plan = await wait_for_limits(system.banking, token, "active")

    # The trial has the professional plan's limits (BILLING_TRIAL_PLAN); enterprise has none.
    assert (trial["plan"], trial["bank_accounts_limit"], trial["transactions_limit"]) == (
        "professional",
        10,
        5000,
    )
    assert (paid_plan["plan"], paid_plan["bank_accounts_limit"]) == ("enterprise", None)
    assert paid_plan["transactions_limit"] is None
    assert subscription["plan"]["slug"] == "enterprise"
    assert subscription["billing_period"] == "monthly"
    assert subscription["current_period_end"] > subscription["current_period_start"]
