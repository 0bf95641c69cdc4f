"""A plan's limits across services, with the real PostgreSQL and RabbitMQ.

Bank accounts: a company on the starter plan (3 bank accounts) connects a bank with 3 accounts →
banking refuses a fourth connection with 403 `bank_account_limit_reached`, suggesting the
professional plan → the company upgrades at billing (Stripe prorates; its webhooks go through the
gateway and RabbitMQ to billing) → billing's new entitlements reach banking → allowed.

Transactions: a starter company (1,000 a month) connects a bank with more → banking keeps them
all, flags those past the limit, and the company is told through billing's notifications.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

import banking.consumer
import banking.main
import billing.consumer
import billing.main
import provider_sandbox.main
import webhook_gateway.main
from banking import runtime
from banking.config import get_settings as banking_settings
from banking.database import InboxEvent as BankingInbox
from banking.database import OutboxMessage as BankingOutbox
from banking.pluggy import PluggyClient
from banking.registries import entitlement_events, sync_jobs
from billing.database import InboxEvent as BillingInbox
from billing.database import OutboxMessage as BillingOutbox
from billing.registries import notification_events, stripe_events
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


@dataclass(frozen=True)
class Journey:
    """The running system, and a company of it that paid for the starter plan."""

    sandbox: httpx.AsyncClient
    billing: httpx.AsyncClient
    banking: httpx.AsyncClient
    headers: dict[str, str]

    async def connect_bank(self, user: str) -> dict[str, Any]:
        """Connect a bank at the Pluggy stand-in as `user`; banking's callback answer."""
        token = await connect_token(self.banking, self.headers)
        assert token.status_code == 201, token.text
        item = await self.sandbox.post(
            "/pluggy/items",
            headers={"X-API-KEY": token.json()["connect_token"]},
            json={"connectorId": 0, "parameters": {"user": user, "password": "password-ok"}},
        )
        await self.sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})
        connected = await self.banking.post(
            "/api/banking/pluggy/callback/",
            json={"item_id": item.json()["id"]},
            headers=self.headers,
        )
        assert connected.status_code == 200, connected.text
        body: dict[str, Any] = connected.json()
        return body


@asynccontextmanager
async def starter_company() -> AsyncIterator[Journey]:
    """Every service, relay and consumer running; a company registered and on the starter plan."""
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
        to_pluggy = httpx.ASGITransport(app=sandbox_app)
        sandbox = await stack.enter_async_context(running(sandbox_app))
        await stack.enter_async_context(running(gateway_app))
        # Billing's Stripe calls (stripe-python over httpx) reach the stand-in at the HTTP boundary.
        network = stack.enter_context(respx.mock(assert_all_called=False))
        network.route(host="127.0.0.1", port=8010).mock(side_effect=respx.ASGIHandler(sandbox_app))
        billing_api = await stack.enter_async_context(running(billing.main.create_app()))
        banking_api = await stack.enter_async_context(
            running(banking.main.create_app(pluggy_transport=to_pluggy))
        )
        # Banking's worker, for the syncs: its Pluggy client, its outbox, its queues.
        settings = banking_settings()
        worker_pluggy = PluggyClient(
            settings.pluggy_api_url,
            settings.pluggy_client_id,
            SecretStr(settings.pluggy_client_secret.get_secret_value()),
            transport=to_pluggy,
        )
        stack.push_async_callback(worker_pluggy.aclose)
        stack.enter_context(
            runtime.installed(runtime.Runtime(settings=settings, pluggy=worker_pluggy))
        )
        for database_url, outbox in (
            (gateway_url, GatewayOutbox),
            (billing_url, BillingOutbox),
            (banking_url, BankingOutbox),
        ):
            await stack.enter_async_context(relaying(database_url, outbox))
        for database_url, inbox, binding_key, handlers in (
            (billing_url, BillingInbox, "stripe.#", stripe_events),
            (billing_url, BillingInbox, "banking.notification.#", notification_events),
            (banking_url, BankingInbox, "billing.entitlements.#", entitlement_events),
            (banking_url, BankingInbox, "banking.sync.#", sync_jobs),
        ):
            await stack.enter_async_context(consuming(database_url, inbox, binding_key, handlers))

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
        yield Journey(sandbox, billing_api, banking_api, headers)


@pytest.mark.asyncio
async def test_the_bank_account_limit_follows_the_plan_paid_for() -> None:
    async with starter_company() as journey:
        banking_api, billing_api, headers = journey.banking, journey.billing, journey.headers
        # A bank with a checking account, a savings account and a credit card: 3 of 3.
        connected = await journey.connect_bank("user-ok")
        assert len(connected["accounts"]) == 3

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


@pytest.mark.asyncio
async def test_transactions_past_the_monthly_limit_are_kept_flagged_and_the_company_told() -> None:
    async with starter_company() as journey:
        # About 1,170 transactions a month across its accounts, over a year: past 1,000 a month.
        await journey.connect_bank("user-ok-perf-40")
        async with asyncio.timeout(60):
            while "transaction_limit_reached" not in await notification_kinds(journey):
                await asyncio.sleep(0.5)
        usage = (await journey.banking.get("/api/banking/usage/", headers=journey.headers)).json()
        flagged = await journey.banking.get(
            "/api/banking/transactions/", params={"limit": 200}, headers=journey.headers
        )

    assert usage["transactions_limit"] == 1000
    assert usage["transactions"] > 1000
    assert usage["over_limit"] is True
    assert any(transaction["over_limit"] for transaction in flagged.json()["results"])


async def notification_kinds(journey: Journey) -> set[str]:
    """The kinds of notification billing holds for the company's users."""
    listed = await journey.billing.get("/api/notifications/", headers=journey.headers)
    return {notification["kind"] for notification in listed.json()["items"]}
