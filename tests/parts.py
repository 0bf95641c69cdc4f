"""The running parts of a cross-service test: apps in process, outbox relays and bus consumers,
each a context manager that stops what it started."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from finhub_shared.bus import Consumer, ConsumerQueue, Publisher, delete_consumer_queue
from finhub_shared.db import Database
from finhub_shared.inbox import HandlerRegistry, InboxEventMixin, inbox_dispatcher
from finhub_shared.outbox import OutboxMessageMixin, OutboxRelay


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started with its lifespan, and a client talking to it in process."""
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            yield client


@asynccontextmanager
async def relaying(database_url: str, outbox: type[OutboxMessageMixin]) -> AsyncIterator[None]:
    """A service worker's outbox relay: its outbox published to RabbitMQ."""
    database = Database(database_url, application_name="e2e-relay")
    publisher = Publisher(os.environ["AMQP_URL"], name="e2e relay")
    await publisher.connect()
    relay = OutboxRelay(database, outbox, publisher)
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        relay.stop()
        await task
        await publisher.close()
        await database.dispose()


@asynccontextmanager
async def consuming(
    database_url: str,
    inbox: type[InboxEventMixin],
    binding_key: str,
    handlers: HandlerRegistry,
) -> AsyncIterator[None]:
    """A service worker's consumer of `binding_key`, through its inbox, on a queue of this test's
    own (so no other test's events mix in), deleted at the end."""
    database = Database(database_url, application_name="e2e-consumer")
    queue = ConsumerQueue(f"e2e.{binding_key}.{uuid.uuid4().hex[:8]}", (binding_key,))
    dispatch = inbox_dispatcher(database, inbox, queue.name, handlers)
    consumer = Consumer(os.environ["AMQP_URL"], queue, dispatch, prefetch=8)
    await consumer.start()
    try:
        yield
    finally:
        await consumer.stop()
        await database.dispose()
        connection = await aio_pika.connect(os.environ["AMQP_URL"])
        async with connection, connection.channel() as channel:
            await delete_consumer_queue(channel, queue)
