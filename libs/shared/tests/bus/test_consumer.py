"""Consuming: ack after the handler, delayed retries, dead letters, poison, prefetch, stop."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import structlog
from prometheus_client import REGISTRY

from finhub_shared.bus import (
    Consumer,
    ConsumerQueue,
    Publisher,
    Refused,
    dead_letter_queue_name,
    peek,
    retry_queue_name,
)
from finhub_shared.correlation import correlation_scope, current_correlation_id
from finhub_shared.events import EventEnvelope, new_event

NewQueue = Callable[..., ConsumerQueue]
StartConsumer = Callable[[Consumer], Awaitable[Consumer]]
SendEvent = Callable[..., Awaitable[EventEnvelope]]
ReadyCount = Callable[[str], Awaitable[int]]
WaitFor = Callable[..., Awaitable[None]]


def metric(name: str, queue: ConsumerQueue) -> float:
    return REGISTRY.get_sample_value(name, {"queue": queue.name}) or 0


async def queues_are_empty(ready_count: ReadyCount, queue: ConsumerQueue) -> bool:
    names = [queue.name, dead_letter_queue_name(queue.name)]
    names += [retry_queue_name(queue.name, delay) for delay in queue.retry_delays_seconds]
    return all([await ready_count(name) == 0 for name in names])


@pytest.mark.asyncio
async def test_handler_gets_the_envelope_inside_its_correlation_and_log_context(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    publisher: Publisher,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue("banking.{name}.#")
    seen: list[tuple[EventEnvelope, str | None, dict[str, Any]]] = []

    async def handle(envelope: EventEnvelope) -> None:
        seen.append((envelope, current_correlation_id(), structlog.contextvars.get_contextvars()))

    consumer = await start_consumer(Consumer(amqp_url, queue, handle))
    sent = new_event("banking", f"{queue.name}.created", {"amount_cents": 990})
    with correlation_scope("corr-consumed"):
        await publisher.publish_envelope(sent)

    await wait_for(lambda: len(seen) == 1)
    await consumer.stop()
    envelope, correlation_id, log_context = seen[0]
    assert envelope == sent
    assert correlation_id == "corr-consumed"
    assert log_context["event_id"] == sent.id
    assert log_context["event_type"] == sent.type
    assert log_context["queue"] == queue.name
    assert log_context["correlation_id"] == "corr-consumed"
    assert await ready_count(queue.name) == 0  # acked: nothing came back when it disconnected
    assert metric("bus_messages_consumed_total", queue) == 1


@pytest.mark.asyncio
async def test_a_failed_message_is_retried_after_each_delay_until_it_succeeds(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.2, 0.5))
    attempts_at: list[float] = []

    async def fail_twice(envelope: EventEnvelope) -> None:
        attempts_at.append(time.monotonic())
        if len(attempts_at) <= 2:
            raise ConnectionError("the database is restarting")

    await start_consumer(Consumer(amqp_url, queue, fail_twice))
    await send_event(queue)

    await wait_for(lambda: metric("bus_messages_consumed_total", queue) == 1)
    assert len(attempts_at) == 3
    assert attempts_at[1] - attempts_at[0] >= 0.2
    assert attempts_at[2] - attempts_at[1] >= 0.5
    assert metric("bus_messages_failed_total", queue) == 2
    assert metric("bus_messages_retried_total", queue) == 2
    assert metric("bus_messages_dead_lettered_total", queue) == 0
    assert await queues_are_empty(ready_count, queue)


@pytest.mark.asyncio
async def test_a_message_that_always_fails_is_parked_without_holding_up_the_others(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1, 0.2))
    attempts: Counter[str] = Counter()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        attempts[envelope.id] += 1
        if envelope.data.get("broken"):
            raise ValueError("no plan with code 'gold'")
        handled.append(envelope.id)

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    broken = await send_event(queue, broken=True)
    healthy = [await send_event(queue, number=number) for number in range(3)]

    await wait_for(lambda: metric("bus_messages_dead_lettered_total", queue) == 1)
    await wait_for(lambda: len(handled) == 3)
    assert handled == [envelope.id for envelope in healthy]
    assert attempts[broken.id] == 3
    [parked] = await peek(amqp_url, dead_letter_queue_name(queue.name))
    assert parked.message_id == broken.id
    assert parked.attempts == 3
    assert parked.reason == "retries exhausted"
    assert parked.last_error == "ValueError: no plan with code 'gold'"
    assert EventEnvelope.model_validate_json(parked.body) == broken
    assert await ready_count(queue.name) == 0


@pytest.mark.asyncio
async def test_the_error_text_a_dead_letter_keeps_is_redacted_like_the_logs(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1,))

    async def handle(_: EventEnvelope) -> None:
        raise ConnectionError(
            "amqp://finhub:s3cret@broker refused; Authorization: Bearer abc.def.ghi; "
            "key sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        )

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    await send_event(queue)

    await wait_for(lambda: metric("bus_messages_dead_lettered_total", queue) == 1)
    [parked] = await peek(amqp_url, dead_letter_queue_name(queue.name))
    assert parked.last_error is not None
    assert parked.last_error.startswith("ConnectionError: amqp://finhub:***@broker refused")
    for secret in ("s3cret", "abc.def.ghi", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"):
        assert secret not in parked.last_error


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff not json", "invalid envelope: 1 error(s), first at body: Invalid JSON"),
        (b'{"id": "evt_1", "source": "nowhere"}', "invalid envelope: 5 error(s), first at source"),
    ],
)
async def test_an_undecodable_message_goes_straight_to_the_dead_letter_queue(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    publisher: Publisher,
    send_event: SendEvent,
    wait_for: WaitFor,
    body: bytes,
    why: str,
) -> None:
    queue = new_queue()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        handled.append(envelope.id)

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    await publisher.publish(f"{queue.name}.garbage", body, message_id="poison-1")
    healthy = await send_event(queue)

    await wait_for(lambda: handled == [healthy.id])
    [parked] = await peek(amqp_url, dead_letter_queue_name(queue.name))
    assert parked.message_id == "poison-1"
    assert parked.reason is not None
    assert parked.reason.startswith(why)
    assert parked.attempts == 0
    assert parked.body == body
    assert metric("bus_messages_retried_total", queue) == 0


@pytest.mark.asyncio
async def test_a_refused_envelope_is_parked_at_once_without_retries(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        if envelope.data.get("broken"):
            raise Refused("data.amount_cents is missing")
        handled.append(envelope.id)

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    refused = await send_event(queue, broken=True)
    healthy = await send_event(queue)

    await wait_for(lambda: handled == [healthy.id])
    [parked] = await peek(amqp_url, dead_letter_queue_name(queue.name))
    assert parked.message_id == refused.id
    assert parked.reason == "refused: Refused: data.amount_cents is missing"
    assert parked.attempts == 0
    assert metric("bus_messages_retried_total", queue) == 0


@pytest.mark.asyncio
async def test_no_more_messages_are_in_hand_than_the_prefetch(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    release = asyncio.Event()
    in_hand: set[str] = set()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        in_hand.add(envelope.id)
        await release.wait()
        in_hand.discard(envelope.id)
        handled.append(envelope.id)

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=2))
    for _ in range(5):
        await send_event(queue)

    await wait_for(lambda: len(in_hand) == 2)
    await asyncio.sleep(0.3)  # time enough for a third delivery, were the bound not kept
    assert len(in_hand) == 2
    assert await ready_count(queue.name) == 3
    release.set()
    await wait_for(lambda: len(handled) == 5)


@pytest.mark.asyncio
async def test_consumers_sharing_handler_slots_run_no_more_handlers_than_the_slots_together(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    wait_for: WaitFor,
) -> None:
    busy, quiet = new_queue(), new_queue()
    release = asyncio.Event()
    running: Counter[str] = Counter()
    handled: list[str] = []

    def handler_of(queue: ConsumerQueue) -> Callable[[EventEnvelope], Awaitable[None]]:
        async def handle(envelope: EventEnvelope) -> None:
            running[queue.name] += 1
            await release.wait()
            running[queue.name] -= 1
            handled.append(envelope.id)

        return handle

    slots = asyncio.Semaphore(3)
    for queue in (busy, quiet):
        consumer = Consumer(amqp_url, queue, handler_of(queue), prefetch=3, handler_slots=slots)
        await start_consumer(consumer)
    for _ in range(5):
        await send_event(busy)

    # The busy queue uses every slot while the other has nothing to do...
    await wait_for(lambda: running[busy.name] == 3)
    await send_event(quiet)
    await asyncio.sleep(0.3)  # time enough for the quiet queue's handler, were a slot free
    assert (running[busy.name], running[quiet.name]) == (3, 0)
    # ...and every message is handled once slots come free.
    release.set()
    await wait_for(lambda: len(handled) == 6)


@pytest.mark.asyncio
async def test_stop_finishes_the_message_in_hand_and_takes_no_more(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    started = asyncio.Event()
    release = asyncio.Event()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        started.set()
        await release.wait()
        handled.append(envelope.id)

    consumer = await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    first = await send_event(queue)
    await send_event(queue)
    await asyncio.wait_for(started.wait(), timeout=5)

    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # it waits for the message in hand
    release.set()
    await asyncio.wait_for(stopping, timeout=5)

    assert handled == [first.id]
    assert await ready_count(queue.name) == 1  # the first was acked, the second never taken
