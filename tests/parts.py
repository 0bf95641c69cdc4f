"""The whole system, running in process for a cross-service test: the provider sandbox, the
gateway, billing, banking and the live stream (served on a socket of its own, as a browser reads
it), each service's outbox relay and its worker's consumers (the same subscriptions the workers
have, on queues of the test's own), all on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import respx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

import banking.consumer
import banking.main
import billing.consumer
import billing.main
import live.consumer
import live.main
import provider_sandbox.main
import webhook_gateway.consumer
import webhook_gateway.main
from banking.config import get_settings as banking_settings
from banking.database import InboxEvent as BankingInbox
from banking.database import OutboxMessage as BankingOutbox
from banking.pluggy import PluggyClient
from banking.runtime import Runtime as BankingRuntime
from billing.config import get_settings as billing_settings
from billing.database import InboxEvent as BillingInbox
from billing.database import OutboxMessage as BillingOutbox
from billing.runtime import Runtime as BillingRuntime
from billing.stripe.client import open_stripe_client
from finhub_dev.sse import served
from finhub_dev.testing import migrate_fresh, relaying
from finhub_shared.bus import Consumer, ConsumerQueue, delete_consumer_queue
from finhub_shared.db import Database
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.worker import Subscription, WorkerRuntime, message_handler
from live.database import InboxEvent as LiveInbox
from live.runtime import Runtime as LiveRuntime
from webhook_gateway.config import get_settings as gateway_settings
from webhook_gateway.database import InboxEvent as GatewayInbox
from webhook_gateway.database import OutboxMessage as GatewayOutbox
from webhook_gateway.pluggy_registration import service as pluggy_registration
from webhook_gateway.runtime import Runtime as GatewayRuntime

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-horse-battery-9"


@dataclass(frozen=True)
class System:
    """Clients of the running parts."""

    sandbox: httpx.AsyncClient
    billing: httpx.AsyncClient
    banking: httpx.AsyncClient
    # The live service's base URL (uvicorn on a free port): its stream is read over a socket.
    live: str

    async def register(self, email: str, name: str, company: str) -> dict[str, str]:
        """A new company at billing (on trial), its owner accepting the legal documents in force;
        the headers its access token opens both with."""
        documents = await self.billing.get("/api/auth/legal-documents")
        assert documents.status_code == 200, documents.text
        body = {
            "email": email,
            "password": PASSWORD,
            "name": name,
            "company_name": company,
            "accepted": documents.json(),
        }
        registered = await self.billing.post("/api/auth/register", json=body)
        assert registered.status_code == 201, registered.text
        return {"Authorization": f"Bearer {registered.json()['access_token']}"}

    async def connect_bank(self, headers: dict[str, str], connector_id: int) -> tuple[str, str]:
        """The user connects a bank in Pluggy's Connect widget with banking's connect token (the
        sandbox user whose log-in works), and the widget calls banking back: Pluggy's item id and
        banking's id of the connection."""
        connect = await self.banking.post(
            "/api/banking/pluggy/connect-token/", json={}, headers=headers
        )
        assert connect.status_code == 201, connect.text
        credentials = {"user": "user-ok", "password": "password-ok"}
        item = await self.sandbox.post(
            "/pluggy/items",
            headers={"X-API-KEY": connect.json()["connect_token"]},
            json={"connectorId": connector_id, "parameters": credentials},
        )
        assert item.status_code == 200, item.text
        callback = await self.banking.post(
            "/api/banking/pluggy/callback/", json={"item_id": item.json()["id"]}, headers=headers
        )
        assert callback.status_code == 200, callback.text
        return item.json()["id"], callback.json()["id"]

    async def pay_checkout(self, headers: dict[str, str], plan_id: int) -> None:
        """Check out `plan_id` at billing and pay it with a card that works."""
        checkout = await self.billing.post(
            "/api/payments/checkout/",
            json={"plan_id": plan_id, "billing_period": "monthly"},
            headers=headers,
        )
        assert checkout.status_code == 201, checkout.text
        paid = await self.sandbox.post(
            f"/_sandbox/stripe/checkout/{checkout.json()['session_id']}/pay",
            json={"card_number": "4242424242424242"},
        )
        assert paid.status_code == 200, paid.text


async def revoke_consent(sandbox: httpx.AsyncClient, item_id: str) -> None:
    """The user revokes the item's consent at their bank (the stand-in's control API)."""
    key = await sandbox_api_key(sandbox)
    consents = await sandbox.get(
        "/pluggy/consents", params={"itemId": item_id}, headers={"X-API-KEY": key}
    )
    [consent] = consents.json()["results"]
    revoked = await sandbox.post(f"/pluggy/_sandbox/consents/{consent['id']}/revoke")
    assert revoked.status_code == 200, revoked.text


async def sandbox_api_key(sandbox: httpx.AsyncClient) -> str:
    credentials = {
        "clientId": os.environ["PLUGGY_CLIENT_ID"],
        "clientSecret": os.environ["PLUGGY_CLIENT_SECRET"],
    }
    key: str = (await sandbox.post("/pluggy/auth", json=credentials)).json()["apiKey"]
    return key


async def pluggy_transaction_count(sandbox: httpx.AsyncClient, item_id: str) -> int:
    """How many transactions the Pluggy stand-in holds for the item's accounts."""
    headers = {"X-API-KEY": await sandbox_api_key(sandbox)}
    accounts = await sandbox.get("/pluggy/accounts", params={"itemId": item_id}, headers=headers)
    total = 0
    for account in accounts.json()["results"]:
        query: str | None = f"?accountId={account['id']}"
        while query:
            page = (await sandbox.get(f"/pluggy/v2/transactions{query}", headers=headers)).json()
            total, query = total + len(page["results"]), page["next"]
    return total


@asynccontextmanager
async def running_system(
    *,
    retry_delays_seconds: tuple[float, ...] | None = None,
    handler_time_limit_seconds: float | None = None,
) -> AsyncIterator[System]:
    """Every part started on fresh databases; stopped, with the test's queues deleted, after.

    Given, the retry delays and the handler time limit replace every queue's own, so a test of
    failures does not wait ten minutes for a message's retries to run out."""
    urls = {
        "webhook-gateway": os.environ["GATEWAY_DATABASE_URL"],
        "billing": os.environ["BILLING_DATABASE_URL"],
        "banking": os.environ["BANKING_DATABASE_URL"],
        "live": os.environ["LIVE_DATABASE_URL"],
    }
    for service, url in urls.items():
        await migrate_fresh(ROOT / "services" / service, url, os.environ["POSTGRES_ADMIN_URL"])
    async with AsyncExitStack() as stack:
        gateway_app = webhook_gateway.main.create_app()
        sandbox_app = provider_sandbox.main.create_app(
            webhook_transport=httpx.ASGITransport(app=gateway_app)
        )
        to_sandbox = httpx.ASGITransport(app=sandbox_app)
        sandbox = await stack.enter_async_context(running(sandbox_app))
        await stack.enter_async_context(running(gateway_app))
        # Billing's Stripe calls (stripe-python over httpx) reach the stand-in at the HTTP boundary.
        network = stack.enter_context(respx.mock(assert_all_called=False))
        network.route(host="127.0.0.1", port=8010).mock(side_effect=respx.ASGIHandler(sandbox_app))
        billing_api = await stack.enter_async_context(running(billing.main.create_app()))
        banking_api = await stack.enter_async_context(
            running(banking.main.create_app(pluggy_transport=to_sandbox))
        )
        live_api = await stack.enter_async_context(served(live.main.create_app()))
        network.route(url__startswith=live_api).pass_through()  # a real socket, as browsers use
        billing_runtime = await _billing_runtime(stack, urls["billing"])
        banking_runtime = await _banking_runtime(stack, urls["banking"], to_sandbox)
        # The live worker takes one message at a time, so a company's events keep their order.
        live_settings = live.consumer.worker_settings()
        live_runtime = LiveRuntime(live_settings, _consumers_database(stack, urls["live"]))
        gateway_database = _consumers_database(stack, urls["webhook-gateway"])
        gateway_runtime = GatewayRuntime(settings=gateway_settings(), database=gateway_database)
        for url, outbox in (
            (urls["webhook-gateway"], GatewayOutbox),
            (urls["billing"], BillingOutbox),
            (urls["banking"], BankingOutbox),
        ):
            await stack.enter_async_context(relaying(url, outbox, name="e2e-relay"))
        for inbox, subscriptions, worker_runtime, prefetch in (
            (BillingInbox, billing.consumer.SUBSCRIPTIONS, billing_runtime, 8),
            (BankingInbox, banking.consumer.SUBSCRIPTIONS, banking_runtime, 8),
            (LiveInbox, live.consumer.SUBSCRIPTIONS, live_runtime, live_settings.consumer_prefetch),
            (GatewayInbox, webhook_gateway.consumer.SUBSCRIPTIONS, gateway_runtime, 8),
        ):
            for subscription in subscriptions:
                await stack.enter_async_context(
                    consuming(
                        worker_runtime,
                        inbox,
                        subscription,
                        prefetch,
                        retry_delays_seconds=retry_delays_seconds,
                        handler_time_limit_seconds=handler_time_limit_seconds,
                    )
                )
        # Once per environment, as an operator does: Pluggy learns our URL and secret header.
        async with pluggy_registration.open_pluggy(gateway_settings(), transport=to_sandbox) as api:
            await pluggy_registration.register(api, gateway_settings())
        yield System(sandbox, billing_api, banking_api, live_api)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started with its lifespan, and a client talking to it in process."""
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            yield client


def _consumers_database(stack: AsyncExitStack, database_url: str) -> Database:
    database = Database(database_url, application_name="e2e-consumer")
    stack.push_async_callback(database.dispose)
    return database


async def _banking_runtime(
    stack: AsyncExitStack, database_url: str, to_sandbox: httpx.AsyncBaseTransport
) -> BankingRuntime:
    """What banking's worker builds for its handlers: the settings, a database, a Pluggy client."""
    settings = banking_settings()
    pluggy = PluggyClient(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        SecretStr(settings.pluggy_client_secret.get_secret_value()),
        transport=to_sandbox,
    )
    stack.push_async_callback(pluggy.aclose)
    database = _consumers_database(stack, database_url)
    return BankingRuntime(settings=settings, database=database, pluggy=pluggy)


async def _billing_runtime(stack: AsyncExitStack, database_url: str) -> BillingRuntime:
    """What billing's worker builds for its handlers: the settings, a database, a Stripe client."""
    settings = billing_settings()
    stripe_client = await stack.enter_async_context(open_stripe_client(settings))
    database = _consumers_database(stack, database_url)
    return BillingRuntime(settings=settings, database=database, stripe=stripe_client)


@asynccontextmanager
async def consuming(
    worker_runtime: WorkerRuntime,
    inbox: type[InboxEventMixin],
    subscription: Subscription[Any],
    prefetch: int,
    *,
    retry_delays_seconds: tuple[float, ...] | None = None,
    handler_time_limit_seconds: float | None = None,
) -> AsyncIterator[None]:
    """A worker's consumer, taking `prefetch` messages at a time, on a queue of this test's own
    (no other test's events mix in) bound like the worker's, deleted at the end."""
    name = f"e2e.{subscription.queue.name}.{uuid.uuid4().hex[:8]}"
    delays = retry_delays_seconds or subscription.queue.retry_delays_seconds
    queue = ConsumerQueue(name, subscription.queue.binding_keys, delays)
    dispatch = message_handler(subscription, worker_runtime, inbox)
    time_limit = handler_time_limit_seconds or subscription.handler_time_limit_seconds
    consumer = Consumer(
        os.environ["AMQP_URL"],
        queue,
        dispatch,
        prefetch=prefetch,
        handler_time_limit_seconds=time_limit,
    )
    await consumer.start()
    try:
        yield
    finally:
        await consumer.stop()
        connection = await aio_pika.connect(os.environ["AMQP_URL"])
        async with connection, connection.channel() as channel:
            await delete_consumer_queue(channel, queue)
