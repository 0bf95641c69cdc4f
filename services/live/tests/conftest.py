from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from finhub_dev.sse import served
from finhub_dev.testing import ServiceUnderTest
from finhub_shared.auth import TokenIssuer
from finhub_shared.bus import Consumer, Publisher
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event, utcnow
from finhub_shared.worker import consumer_prefetch, message_handler
from live.config import get_settings
from live.consumer import SUBSCRIPTIONS, worker_settings
from live.database import InboxEvent
from live.main import create_app
from live.runtime import Runtime
from live.tables import Base

Serve = Callable[[], AbstractAsyncContextManager[str]]
Publish = Callable[..., Awaitable[EventEnvelope]]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        service_dir=Path(__file__).resolve().parents[1],
        url_variable="LIVE_DATABASE_URL",
        metadata=Base.metadata,
        app_factory=create_app,
    )


class Clock:
    """The time the app reads: real time until a test moves it on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def serve(database: Database, clock: Clock) -> Iterator[Serve]:
    """Start one more replica of the stream API (its own app, port and LISTEN connection), with
    the settings of the test's environment."""
    get_settings.cache_clear()

    def replica() -> AbstractAsyncContextManager[str]:
        return served(create_app(clock=clock))

    yield replica
    get_settings.cache_clear()


@pytest_asyncio.fixture
async def live(serve: Serve) -> AsyncIterator[str]:
    """The base URL of one replica."""
    async with serve() as base_url:
        yield base_url


@pytest_asyncio.fixture
async def worker(database: Database) -> AsyncIterator[Runtime]:
    """The consumer of `live.events` on the real broker, as `finhub-live worker` runs it."""
    settings = worker_settings()
    runtime = Runtime(settings=settings, database=database)
    [subscription] = SUBSCRIPTIONS
    consumer = Consumer(
        settings.amqp_url.get_secret_value(),
        subscription.queue,
        message_handler(subscription, runtime, InboxEvent),
        prefetch=consumer_prefetch(settings),
    )
    await consumer.start()
    try:
        yield runtime
    finally:
        await consumer.stop()


@pytest_asyncio.fixture
async def publish(worker: Runtime) -> AsyncIterator[Publish]:
    """Publish an event on the bus as billing or banking would: `publish(routing_key, data,
    company_id)`."""
    publisher = Publisher(os.environ["AMQP_URL"])
    await publisher.connect()

    async def send(
        routing_key: str, data: dict[str, Any], company_id: uuid.UUID | None
    ) -> EventEnvelope:
        source, event_type = routing_key.split(".", 1)
        assert source in ("billing", "banking")
        envelope = new_event(source, event_type, data, company_id=company_id)
        await publisher.publish_envelope(envelope)
        return envelope

    try:
        yield send
    finally:
        await publisher.close()


def token(
    user_id: uuid.UUID,
    company_id: uuid.UUID,
    *,
    session_id: uuid.UUID | None = None,
    ttl_seconds: int = 900,
) -> str:
    """An access token as billing issues it."""
    issuer = TokenIssuer(
        os.environ["JWT_PRIVATE_KEY"], "finhub-billing", "finhub", ttl_seconds=ttl_seconds
    )
    issued = issuer.issue(
        user_id=user_id, company_id=company_id, role="member", session_id=session_id or uuid.uuid4()
    )
    return issued.token


def notification(title: str = "Trial ends in 3 days") -> dict[str, Any]:
    return {
        "notification_id": str(uuid.uuid4()),
        "kind": "trial_ending",
        "severity": "warning",
        "title": title,
        "message": "Choose a plan to keep syncing your banks.",
        "link": "/settings/billing",
    }
