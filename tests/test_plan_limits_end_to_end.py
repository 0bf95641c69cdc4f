"""A plan's bank-account limit across services, with the real PostgreSQL and RabbitMQ:

a company on the starter plan (3 bank accounts) connects a bank with 3 accounts → banking refuses
a fourth connection with 403 `bank_account_limit_reached`, suggesting the professional plan → the
company upgrades at billing (Stripe prorates; its webhooks go through the gateway and RabbitMQ to
billing) → billing's new entitlements reach banking through RabbitMQ → the connection is allowed.
"""

from __future__ import annotations

import asyncio
import os
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
from billing.database import InboxEvent as BillingInbox
from billing.database import OutboxMessage as BillingOutbox
from finhub_shared.testing import migrate_fresh
from webhook_gateway.database import OutboxMessage as GatewayOutbox

from .parts import consuming, relaying, running

ROOT = Path(__file__).resolve().parents[1]
STARTER, PROFESSIONAL = 1, 2


async def banking_plan(banking_api: httpx.AsyncClient, headers: dict[str, str], plan: str) -> None:
    """Wait until banking applies `plan`'s limits (billing's snapshot has arrived)."""
    async with asyncio.timeout(60):
        while (await banking_api.get("/api/banking/usage/", headers=headers)).json()[
            "plan"
        ] != plan:
            await asyncio.sleep(0.3)


async def connect_token(banking_api: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await banking_api.post("/api/banking/pluggy/connect-token/", json={}, headers=headers)


@pytest.mark.asyncio
async def test_the_bank_account_limit_follows_the_plan_paid_for() -> None:
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
        banking_api = await stack.enter_async_context(
            running(banking.main.create_app(pluggy_transport=httpx.ASGITransport(app=sandbox_app)))
        )
        await stack.enter_async_context(relaying(gateway_url, GatewayOutbox))
        await stack.enter_async_context(relaying(billing_url, BillingOutbox))
        await stack.enter_async_context(
            consuming(billing_url, BillingInbox, "stripe.#", billing.consumer.stripe_events)
        )
        await stack.enter_async_context(
            consuming(banking_url, BankingInbox, "billing.entitlements.#", entitlement_events)
        )

        registered = await billing_api.post(
            "/api/auth/register",
            json={
                "email": "rui@mercearia.com.br",
                "password": "Correct-horse-battery-9",
                "name": "Rui Alves",
                "company_name": "Mercearia Alves",
            },
        )
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        checkout = await billing_api.post(
            "/api/payments/checkout/",
            json={"plan_id": STARTER, "billing_period": "monthly"},
            headers=headers,
        )
        assert checkout.status_code == 201, checkout.text
        paid = await sandbox.post(
            f"/_sandbox/stripe/checkout/{checkout.json()['session_id']}/pay",
            json={"card_number": "4242424242424242"},
        )
        assert paid.status_code == 200, paid.text
        await banking_plan(banking_api, headers, "starter")

        # A bank with a checking account, a savings account and a credit card: 3 of 3.
        token = await connect_token(banking_api, headers)
        assert token.status_code == 201, token.text
        item = await sandbox.post(
            "/pluggy/items",
            headers={"X-API-KEY": token.json()["connect_token"]},
            json={"connectorId": 0, "parameters": {"user": "user-ok", "password": "password-ok"}},
        )
        await sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})
        connected = await banking_api.post(
            "/api/banking/pluggy/callback/", json={"item_id": item.json()["id"]}, headers=headers
        )
        assert len(connected.json()["accounts"]) == 3, connected.text

        refused = await connect_token(banking_api, headers)

        upgraded = await billing_api.post(
            "/api/payments/subscription/change-plan/",
            json={"plan_id": PROFESSIONAL, "billing_period": "monthly"},
            headers=headers,
        )
        assert upgraded.status_code == 200, upgraded.text
        await banking_plan(banking_api, headers, "professional")
        allowed = await connect_token(banking_api, headers)

    body: dict[str, Any] = refused.json()
    assert refused.status_code == 403
    assert {key: body[key] for key in ("code", "current", "limit", "upgrade_required")} == {
        "code": "bank_account_limit_reached",
        "current": 3,
        "limit": 3,
        "upgrade_required": True,
    }
    assert body["suggested_plan"] == "professional"
    assert allowed.status_code == 201, allowed.text
