"""The whole billing journey across services, in one test, with the real PostgreSQL and RabbitMQ:

register at billing → checkout (billing calls the Stripe stand-in) → the customer pays →
the stand-in sends signed webhooks to the gateway → stored, relayed through the outbox to
RabbitMQ → billing's consumer handles them → the company's subscription is active; all along,
billing's entitlement snapshots reach banking through RabbitMQ, so banking enforces the limits of
the trial, then of the plan paid for.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import banking.consumer
import banking.main
import billing.consumer
import billing.main
import provider_sandbox.main
import webhook_gateway.main
from banking.database import InboxEvent as BankingInbox
from banking.registries import entitlement_events
from billing.database import InboxEvent
from billing.database import OutboxMessage as BillingOutbox
from finhub_shared.testing import migrate_fresh
from webhook_gateway.database import OutboxMessage as GatewayOutbox

from .parts import consuming, relaying, running

ROOT = Path(__file__).resolve().parents[1]


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
    admin_url = os.environ["POSTGRES_ADMIN_URL"]
    gateway_url = os.environ["GATEWAY_DATABASE_URL"]
    billing_url = os.environ["BILLING_DATABASE_URL"]
    banking_url = os.environ["BANKING_DATABASE_URL"]
    for service, url in (
        ("webhook-gateway", gateway_url),
        ("billing", billing_url),
        ("banking", banking_url),
    ):
        await migrate_fresh(ROOT / "services" / service, url, admin_url)

    async with AsyncExitStack() as stack:
        gateway_app = webhook_gateway.main.create_app()
        sandbox_app = provider_sandbox.main.create_app(
            webhook_transport=httpx.ASGITransport(app=gateway_app)
        )
        sandbox = await stack.enter_async_context(running(sandbox_app))
        await stack.enter_async_context(running(gateway_app))
        # Billing's Stripe calls (stripe-python over httpx) reach the stand-in at the HTTP boundary.
        network = stack.enter_context(respx.mock(assert_all_called=False))
        network.route(host="127.0.0.1", port=8010).mock(side_effect=respx.ASGIHandler(sandbox_app))
        billing_api = await stack.enter_async_context(running(billing.main.create_app()))
        await stack.enter_async_context(relaying(gateway_url, GatewayOutbox))
        await stack.enter_async_context(
            consuming(billing_url, InboxEvent, "stripe.#", billing.consumer.stripe_events)
        )
        banking_api = await stack.enter_async_context(running(banking.main.create_app()))
        await stack.enter_async_context(relaying(billing_url, BillingOutbox))
        await stack.enter_async_context(
            consuming(banking_url, BankingInbox, "billing.entitlements.#", entitlement_events)
        )

        registered = await billing_api.post(
            "/api/auth/register",
            json={
                "email": f"ana+{uuid.uuid4().hex[:6]}@padaria.com.br",
                "password": "Correct-horse-battery-9",
                "name": "Ana Souza",
                "company_name": "Padaria Pão Quente",
            },
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await billing_api.get("/api/payments/subscription/", headers=headers)).json()[
            "status"
        ] == "trial"
        trial = await wait_for_limits(banking_api, token, "trial")
        plans = (await billing_api.get("/api/payments/plans/")).json()
        enterprise = next(plan for plan in plans if plan["slug"] == "enterprise")

        checkout = await billing_api.post(
            "/api/payments/checkout/",
            json={"plan_id": enterprise["id"], "billing_period": "monthly"},
            headers=headers,
        )
        assert checkout.status_code == 201, checkout.text
        paid = await sandbox.post(
            f"/_sandbox/stripe/checkout/{checkout.json()['session_id']}/pay",
            json={"card_number": "4242424242424242"},
        )
        assert paid.status_code == 200, paid.text

        subscription = await wait_for_subscription(billing_api, token, "active")
        paid_plan = await wait_for_limits(banking_api, token, "active")

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
