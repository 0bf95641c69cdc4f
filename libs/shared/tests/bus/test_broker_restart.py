"""A broker restart in the middle of publishing loses no message, and the consumer comes back."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import pytest
import pytest_asyncio

from finhub_shared.bus import Consumer, ConsumerQueue, Publisher, PublishError
from finhub_shared.events import EventEnvelope, new_event

NewQueue = Callable[..., ConsumerQueue]
StartConsumer = Callable[[Consumer], Awaitable[Consumer]]
WaitFor = Callable[..., Awaitable[None]]

MESSAGES = 200

pytestmark = [
    pytest.mark.broker_restart,
    pytest.mark.skipif(
        shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl to restart the broker"
    ),
]


async def rabbitmqctl(*arguments: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", *arguments, stdout=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0, f"rabbitmqctl {' '.join(arguments)} failed"


async def wait_until_broker_answers(amqp_url: str) -> None:
    async with asyncio.timeout(90):
        while True:
            try:
                connection = await aio_pika.connect(amqp_url, timeout=5)
            except (aio_pika.exceptions.AMQPError, ConnectionError, OSError):
                await asyncio.sleep(0.5)
                continue
            await connection.close()
            return


@pytest_asyncio.fixture
async def restartable_broker(amqp_url: str) -> AsyncIterator[None]:
    """The broker, started and answering again once the test ends, whatever happened."""
    yield
    await rabbitmqctl("start_app")
    await rabbitmqctl("await_startup")
    await wait_until_broker_answers(amqp_url)


@pytest.mark.timeout(180)
@pytest.mark.asyncio
async def test_no_message_is_lost_when_the_broker_restarts_while_publishing(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    wait_for: WaitFor,
    restartable_broker: None,  # last, so the broker is back before the others tear down
) -> None:
    queue = new_queue()
    received: set[str] = set()

    async def handle(envelope: EventEnvelope) -> None:
        received.add(envelope.id)

    await start_consumer(Consumer(amqp_url, queue, handle))
    # A short confirm timeout, so that publishes fail during the outage and are retried.
    publisher = Publisher(amqp_url, name="bus restart test", confirm_timeout_seconds=1)
    await publisher.connect()
    envelopes = [new_event("banking", "bustest.numbered", {"n": n}) for n in range(MESSAGES)]
    broker_stopped = asyncio.Event()
    failed_publishes = 0
    try:
        for number, envelope in enumerate(envelopes):
            if number == MESSAGES // 4:
                restart = asyncio.create_task(restart_broker(broker_stopped))
                await broker_stopped.wait()  # the next publishes meet a stopped broker
            failed_publishes += await publish_until_confirmed(
                publisher, f"{queue.name}.numbered", envelope
            )
        await restart
    finally:
        await publisher.close()

    await wait_for(lambda: received >= {envelope.id for envelope in envelopes}, seconds=60)
    assert failed_publishes > 0


async def restart_broker(stopped: asyncio.Event) -> None:
    await rabbitmqctl("stop_app")
    stopped.set()
    await asyncio.sleep(2)
    await rabbitmqctl("start_app")


async def publish_until_confirmed(
    publisher: Publisher, routing_key: str, envelope: EventEnvelope
) -> int:
    """Publish, retrying after a short wait until the broker confirms; returns the failures."""
    failures = 0
    while True:
        try:
            await publisher.publish(
                routing_key, envelope.model_dump_json().encode(), message_id=envelope.id
            )
            return failures
        except PublishError:
            failures += 1
            await asyncio.sleep(0.2)
