"""Bus test fixtures: the broker, throwaway queues, a connected publisher, consumers to run."""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractChannel

from finhub_shared.bus import (
    Consumer,
    ConsumerQueue,
    Publisher,
    delete_consumer_queue,
)
from finhub_shared.events import EventEnvelope, new_event

NewQueue = Callable[..., ConsumerQueue]


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The test broker (the root conftest points TEST_AMQP_URL at the `_test` vhost)."""
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest_asyncio.fixture
async def new_queue(amqp_url: str) -> AsyncIterator[NewQueue]:
    """Makes ConsumerQueues with unique names; deletes them, their retry tiers and DLQs after.

    Binding keys may use `{name}` for the queue's name; the default binds `<name>.#`.
    """
    made: list[ConsumerQueue] = []

    def make(
        *binding_keys: str, retry_delays_seconds: tuple[float, ...] = (0.2, 0.5)
    ) -> ConsumerQueue:
        name = f"test-bus.{uuid.uuid4().hex[:12]}"
        queue = ConsumerQueue(
            name,
            tuple(key.format(name=name) for key in binding_keys or ("{name}.#",)),
            retry_delays_seconds,
        )
        made.append(queue)
        return queue

    yield make
    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        for queue in made:
            await delete_consumer_queue(channel, queue)


@pytest_asyncio.fixture
async def channel(amqp_url: str) -> AsyncIterator[AbstractChannel]:
    """A plain channel for the test's own look at the broker (declare, get, count)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        yield channel


@pytest_asyncio.fixture
async def publisher(amqp_url: str) -> AsyncIterator[Publisher]:
    """A connected publisher."""
    publisher = Publisher(amqp_url, name="bus tests")
    await publisher.connect()
    yield publisher
    await publisher.close()


@pytest_asyncio.fixture
async def start_consumer() -> AsyncIterator[Callable[[Consumer], Awaitable[Consumer]]]:
    """Starts consumers and stops whichever the test left running."""
    started: list[Consumer] = []

    async def start(consumer: Consumer) -> Consumer:
        await consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in reversed(started):
        await consumer.stop()


@pytest_asyncio.fixture
async def send_event(
    publisher: Publisher,
) -> Callable[..., Awaitable[EventEnvelope]]:
    """Publishes a fresh envelope with `data` to `<queue name>.happened`."""

    async def send(queue: ConsumerQueue, **data: Any) -> EventEnvelope:
        envelope = new_event("banking", "bustest.happened", data)
        await publisher.publish(
            f"{queue.name}.happened",
            envelope.model_dump_json().encode(),
            message_id=envelope.id,
        )
        return envelope

    return send


@pytest_asyncio.fixture
async def ready_count(channel: AbstractChannel) -> Callable[[str], Awaitable[int]]:
    """How many messages wait in a queue, not counting those delivered and not yet acked."""

    async def count(queue_name: str) -> int:
        queue = await channel.declare_queue(queue_name, passive=True)
        return queue.declaration_result.message_count or 0

    return count


async def eventually(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 10) -> None:
    """Wait until `condition()` holds, polling; fail the test after `seconds`."""
    async with asyncio.timeout(seconds):
        while not await _holds(condition):
            await asyncio.sleep(0.05)


async def _holds(condition: Callable[[], bool | Awaitable[bool]]) -> bool:
    result = condition()
    return await result if inspect.isawaitable(result) else result


@pytest.fixture
def wait_for() -> Callable[..., Awaitable[None]]:
    """`await wait_for(condition)`: poll a condition (plain or async) until it holds."""
    return eventually
