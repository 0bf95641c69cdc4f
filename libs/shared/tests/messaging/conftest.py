"""A scratch database with an inbox, an outbox and an effect table, and a probe queue on the bus."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest_asyncio
from aio_pika.abc import AbstractQueue, AbstractRobustConnection
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from finhub_dev.testing import scratch_database, truncate_tables
from finhub_shared.bus import Publisher, declare_exchange
from finhub_shared.db import Database, new_metadata
from finhub_shared.events import EXCHANGE
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class InboxEvent(InboxEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class Effect(Base):
    """What a handler does: one row per handled event, so a duplicate effect is visible."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(255))


@pytest_asyncio.fixture(scope="session")
async def scratch_schema() -> str:
    return await scratch_database(Base.metadata)


@pytest_asyncio.fixture
async def database(scratch_schema: str) -> AsyncIterator[Database]:
    database = Database(scratch_schema, application_name="tests", pool_size=5)
    await truncate_tables(database, Base.metadata)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def amqp_connection() -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(os.environ["AMQP_URL"])
    yield connection
    await connection.close()


@pytest_asyncio.fixture
async def event_type() -> str:
    """An event type no other test publishes, so the probe queue sees only this test's messages."""
    return f"probe-{uuid.uuid4().hex[:12]}.created"


@pytest_asyncio.fixture
async def probe_queue(
    amqp_connection: AbstractRobustConnection, event_type: str
) -> AsyncIterator[AbstractQueue]:
    channel = await amqp_connection.channel()
    await declare_exchange(channel)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(EXCHANGE, routing_key=f"billing.{event_type}")
    yield queue
    await channel.close()


@pytest_asyncio.fixture
async def publisher() -> AsyncIterator[Publisher]:
    publisher = Publisher(os.environ["AMQP_URL"], name="tests publisher")
    await publisher.connect()
    yield publisher
    await publisher.close()
