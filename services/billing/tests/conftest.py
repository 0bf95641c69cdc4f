import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import respx
import stripe
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import billing.consumer  # noqa: F401 - registers every Stripe and usage handler
from billing.config import get_settings
from billing.database import InboxEvent
from billing.main import create_app
from billing.registries import stripe_events
from billing.runtime import Runtime
from billing.stripe.client import open_stripe_client
from billing.tables import Base
from finhub_dev.testing import ServiceUnderTest, table_row_counts
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.inbox import inbox_dispatcher
from provider_sandbox.main import create_app as create_sandbox

from .stripe_objects import envelope
from .stripe_sandbox import SandboxStripe

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="BILLING_DATABASE_URL",
        metadata=Base.metadata,
        app_factory=create_app,
        keep_tables=("plans",),
    )


@pytest_asyncio.fixture
async def fake_stripe() -> AsyncIterator[SandboxStripe]:
    """Stripe's API at STRIPE_API_BASE: the provider sandbox's Stripe in process (its webhooks
    go nowhere; tests deliver the events they mean)."""
    sandbox = create_sandbox(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(sandbox):
        with respx.mock(base_url=os.environ["STRIPE_API_BASE"], assert_all_called=False) as router:
            yield SandboxStripe(router, sandbox)


@pytest_asyncio.fixture
async def worker_database(
    migrated_database: str,
    database: Database,  # requested so that the jobs start on clean tables
) -> AsyncIterator[Database]:
    """The database as billing's worker opens it (named `billing-worker`), for its jobs."""
    worker = Database(migrated_database, application_name="billing-worker")
    yield worker
    await worker.dispose()


@pytest_asyncio.fixture
async def stripe_client() -> AsyncIterator[stripe.StripeClient]:
    """The worker's Stripe client, aimed at STRIPE_API_BASE (faked by `fake_stripe`)."""
    async with open_stripe_client(get_settings()) as client:
        yield client


@pytest.fixture
def worker_runtime(database: Database, stripe_client: stripe.StripeClient) -> Runtime:
    """The runtime billing's worker builds, on the test's database."""
    return Runtime(settings=get_settings(), database=database, stripe=stripe_client)


@pytest.fixture
def deliver(database: Database, stripe_client: stripe.StripeClient) -> Deliver:
    """Deliver a Stripe event as the worker does: through the inbox, in one transaction."""

    async def deliver_event(stripe_event: dict[str, Any]) -> None:
        # The settings as they are now: a test may switch one on after this fixture is made.
        runtime = Runtime(settings=get_settings(), database=database, stripe=stripe_client)
        await inbox_dispatcher(runtime, InboxEvent, "billing.stripe", stripe_events)(
            envelope(stripe_event)
        )

    return deliver_event


@pytest.fixture
def no_stripe_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Apps started after this make one attempt per Stripe call, so failure tables run fast."""
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def row_counts(database: Database) -> dict[str, int]:
    """How many rows each of billing's tables holds (see table_row_counts)."""
    return await table_row_counts(database, Base.metadata)


class FrozenClock:
    """The app's clock in a test: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock on by a `timedelta(**delta)`."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: FastAPI) -> FrozenClock:
    """Billing's clock (`app.state.clock`), frozen at the real time the test starts."""
    frozen = FrozenClock(utcnow())
    app.state.clock = frozen
    return frozen
