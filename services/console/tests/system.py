"""The whole system for the browser tests: every API served by uvicorn on a socket of its own in
this event loop (the browser reaches the console, and the sandbox's checkout page, as it would in
development), the workers' outbox relays and consumers on queues of the test's own (retrying after
a fraction of a second, so a failing message is dead-lettered within seconds), all on the real
PostgreSQL and RabbitMQ; and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr

import banking.consumer
import banking.main
import billing.consumer
import billing.main
import console.main
import live.consumer
import live.main
import provider_sandbox.main
import webhook_gateway.consumer
import webhook_gateway.main
from banking.config import get_settings as banking_settings
from banking.connectors.jobs import refresh_connector_catalogue
from banking.database import InboxEvent as BankingInbox
from banking.database import OutboxMessage as BankingOutbox
from banking.pluggy import PluggyClient
from banking.runtime import Runtime as BankingRuntime
from billing.config import get_settings as billing_settings
from billing.database import InboxEvent as BillingInbox
from billing.database import OutboxMessage as BillingOutbox
from billing.runtime import Runtime as BillingRuntime
from billing.stripe.client import open_stripe_client
from console.config import get_settings as console_settings
from finhub_dev.testing import migrate_fresh, relaying
from finhub_shared.bus import Consumer, ConsumerQueue, delete_consumer_queue
from finhub_shared.db import Database
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.provider_client import CircuitBreakerPolicy, RetryPolicy
from finhub_shared.worker import Subscription, WorkerRuntime, message_handler
from live.config import get_settings as live_settings
from live.database import InboxEvent as LiveInbox
from live.runtime import Runtime as LiveRuntime
from provider_sandbox.config import get_settings as sandbox_settings
from webhook_gateway.config import get_settings as gateway_settings
from webhook_gateway.database import InboxEvent as GatewayInbox
from webhook_gateway.database import OutboxMessage as GatewayOutbox
from webhook_gateway.pluggy_registration import service as pluggy_registration
from webhook_gateway.runtime import Runtime as GatewayRuntime

ROOT = Path(__file__).resolve().parents[3]
APIS = ("sandbox", "gateway", "admin", "billing", "banking", "live", "console")
# A failed message is tried three times, a third of a second apart, then dead-lettered.
RETRY_DELAYS = (0.3, 0.3)
SETTINGS = (
    sandbox_settings,
    gateway_settings,
    billing_settings,
    banking_settings,
    live_settings,
    console_settings,
)


@dataclass(frozen=True)
class System:
    """Where each part answers, and the queues the test's consumers read."""

    urls: dict[str, str]
    queues: dict[str, str]  # a worker's queue name -> the test's own queue

    @property
    def console(self) -> str:
        return self.urls["console"]

    def client(self, part: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.urls[part], timeout=30)


@contextmanager
def _listeners() -> Iterator[dict[str, socket.socket]]:
    """A listening socket per API, bound before any app is made, so each knows the others' ports."""
    sockets = {}
    try:
        for name in APIS:
            listening = socket.socket()
            listening.bind(("127.0.0.1", 0))
            sockets[name] = listening
        yield sockets
    finally:
        for listening in sockets.values():
            listening.close()


def _url(listening: socket.socket) -> str:
    return f"http://127.0.0.1:{listening.getsockname()[1]}"


class _Server(uvicorn.Server):
    """Serves inside the test's event loop; the test, not uvicorn, decides when it stops."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def _serving(app: FastAPI, listening: socket.socket) -> AsyncIterator[None]:
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    async with asyncio.timeout(20):
        while not server.started:
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await serving


def _environment(urls: dict[str, str], queues: dict[str, str]) -> dict[str, str]:
    console = urls["console"]
    return {
        "STRIPE_API_BASE": urls["sandbox"],
        "PLUGGY_API_URL": urls["sandbox"] + "/pluggy",
        "SANDBOX_PUBLIC_URL": urls["sandbox"],
        "SANDBOX_PLUGGY_WEBHOOK_RETRY_SECONDS": "0.2",
        "PUBLIC_WEBHOOK_BASE_URL": urls["gateway"],
        "BILLING_CHECKOUT_SUCCESS_URL": console + "/app/subscription?checkout=success",
        "BILLING_CHECKOUT_CANCEL_URL": console + "/app/subscription?checkout=cancelled",
        "BILLING_PORTAL_RETURN_URL": console + "/app/subscription",
        "ADMIN_DEAD_LETTER_QUEUES": ",".join(queues.values()),
        "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32),
        "CONSOLE_BILLING_URL": urls["billing"],
        "CONSOLE_BANKING_URL": urls["banking"],
        "CONSOLE_LIVE_URL": urls["live"],
        "CONSOLE_GATEWAY_ADMIN_URL": urls["admin"],
        "CONSOLE_HEALTH_TARGETS": ",".join(
            f"{name}={urls[name]}" for name in ("gateway", "admin", "billing", "banking", "live")
        ),
    }


@asynccontextmanager
async def running_system(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[System]:
    """Every part started on fresh databases; stopped, with the test's queues deleted, after."""
    run = uuid.uuid4().hex[:8]
    queues = {
        # The worker's name first, as the gateway reads the service from it for an event's fate.
        subscription.queue.name: f"{subscription.queue.name}.console-e2e-{run}"
        for subscription in (
            *billing.consumer.SUBSCRIPTIONS,
            *banking.consumer.SUBSCRIPTIONS,
            *live.consumer.SUBSCRIPTIONS,
            *webhook_gateway.consumer.SUBSCRIPTIONS,
        )
    }
    databases = {
        "webhook-gateway": os.environ["GATEWAY_DATABASE_URL"],
        "billing": os.environ["BILLING_DATABASE_URL"],
        "banking": os.environ["BANKING_DATABASE_URL"],
        "live": os.environ["LIVE_DATABASE_URL"],
    }
    for service, url in databases.items():
        await migrate_fresh(ROOT / "services" / service, url, os.environ["POSTGRES_ADMIN_URL"])
    with _listeners() as sockets:
        urls = {name: _url(listening) for name, listening in sockets.items()}
        for name, value in _environment(urls, queues).items():
            monkeypatch.setenv(name, value)
        for read in SETTINGS:
            read.cache_clear()
        try:
            async with AsyncExitStack() as stack:
                await _start(stack, sockets, databases, queues)
                yield System(urls, queues)
        finally:
            monkeypatch.undo()
            for read in SETTINGS:
                read.cache_clear()


async def _start(
    stack: AsyncExitStack,
    sockets: dict[str, socket.socket],
    databases: dict[str, str],
    queues: dict[str, str],
) -> None:
    apps = {
        "sandbox": provider_sandbox.main.create_app(),
        "gateway": webhook_gateway.main.create_app(),
        "admin": webhook_gateway.main.create_admin_app(),
        "billing": billing.main.create_app(),
        "banking": banking.main.create_app(),
        "live": live.main.create_app(),
        "console": console.main.create_app(),
    }
    for name, app in apps.items():
        await stack.enter_async_context(_serving(app, sockets[name]))
    for url, outbox in (
        (databases["webhook-gateway"], GatewayOutbox),
        (databases["billing"], BillingOutbox),
        (databases["banking"], BankingOutbox),
    ):
        await stack.enter_async_context(relaying(url, outbox, name="console-e2e-relay"))
    live_worker = live.consumer.worker_settings()
    banking_runtime = _banking(stack, databases)
    # The banks Pluggy offers, as banking's worker reads them when it starts.
    await refresh_connector_catalogue(banking_runtime)
    runtimes: list[tuple[type[InboxEventMixin], tuple[Subscription[Any], ...], Any, int]] = [
        (BillingInbox, billing.consumer.SUBSCRIPTIONS, await _billing(stack, databases), 8),
        (BankingInbox, banking.consumer.SUBSCRIPTIONS, banking_runtime, 8),
        (
            LiveInbox,
            live.consumer.SUBSCRIPTIONS,
            LiveRuntime(live_worker, _database(stack, databases["live"])),
            live_worker.consumer_prefetch,
        ),
        (
            GatewayInbox,
            webhook_gateway.consumer.SUBSCRIPTIONS,
            GatewayRuntime(
                settings=gateway_settings(),
                database=_database(stack, databases["webhook-gateway"]),
            ),
            8,
        ),
    ]
    for inbox, subscriptions, runtime, prefetch in runtimes:
        for subscription in subscriptions:
            queue = ConsumerQueue(
                queues[subscription.queue.name], subscription.queue.binding_keys, RETRY_DELAYS
            )
            await stack.enter_async_context(
                _consuming(runtime, inbox, subscription, queue, prefetch)
            )
    # Once per environment, as an operator does: Pluggy learns our URL and secret header.
    async with pluggy_registration.open_pluggy(gateway_settings()) as api:
        await pluggy_registration.register(api, gateway_settings())


def _database(stack: AsyncExitStack, database_url: str) -> Database:
    database = Database(database_url, application_name="console-e2e-consumer")
    stack.push_async_callback(database.dispose)
    return database


def _banking(stack: AsyncExitStack, databases: dict[str, str]) -> BankingRuntime:
    """Banking's worker runtime; its Pluggy client tries once and never opens its circuit, so a
    Pluggy outage fails each handling attempt at once, and its end is seen at once."""
    settings = banking_settings()
    pluggy = PluggyClient(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        SecretStr(settings.pluggy_client_secret.get_secret_value()),
        retry=RetryPolicy(max_attempts=1),
        breaker=CircuitBreakerPolicy(failure_threshold=1_000_000),
    )
    stack.push_async_callback(pluggy.aclose)
    database = _database(stack, databases["banking"])
    return BankingRuntime(settings=settings, database=database, pluggy=pluggy)


async def _billing(stack: AsyncExitStack, databases: dict[str, str]) -> BillingRuntime:
    settings = billing_settings()
    stripe_client = await stack.enter_async_context(open_stripe_client(settings))
    database = _database(stack, databases["billing"])
    return BillingRuntime(settings=settings, database=database, stripe=stripe_client)


@asynccontextmanager
async def _consuming(
    runtime: WorkerRuntime,
    inbox: type[InboxEventMixin],
    subscription: Subscription[Any],
    queue: ConsumerQueue,
    prefetch: int,
) -> AsyncIterator[None]:
    dispatch = message_handler(subscription, runtime, inbox)
    consumer = Consumer(os.environ["AMQP_URL"], queue, dispatch, prefetch=prefetch)
    await consumer.start()
    try:
        yield
    finally:
        await consumer.stop()
        connection = await aio_pika.connect(os.environ["AMQP_URL"])
        async with connection, connection.channel() as channel:
            await delete_consumer_queue(channel, queue)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium (installed by `make test`'s set-up), never a browser Playwright fetches."""
    executable = shutil.which("chromium")
    assert executable, (
        "Chromium is missing: `make test` installs Debian's package (scripts/chromium.sh)"
    )
    async with async_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()
