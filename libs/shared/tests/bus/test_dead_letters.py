"""Dead-letter operations: count, peek, replay and drop parked messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from finhub_shared.bus import (
    Consumer,
    ConsumerQueue,
    Publisher,
    dead_letter_queue_name,
    declare_consumer_queue,
    drop,
    list_dead_letter_queues,
    peek,
    replay,
)
from finhub_shared.bus.consumer import ATTEMPTS_HEADER, DEAD_LETTER_REASON_HEADER
from finhub_shared.bus.dead_letters import QueueDepth, queue_depths
from finhub_shared.events import EventEnvelope

NewQueue = Callable[..., ConsumerQueue]
StartConsumer = Callable[[Consumer], Awaitable[Consumer]]
SendEvent = Callable[..., Awaitable[EventEnvelope]]
ReadyCount = Callable[[str], Awaitable[int]]
WaitFor = Callable[..., Awaitable[None]]


async def park(publisher: Publisher, queue: ConsumerQueue, message_id: str) -> None:
    """Put a message in the queue's DLQ as the consumer would after its last failed attempt."""
    message = Message(
        f'{{"say": "{message_id}"}}'.encode(),
        message_id=message_id,
        delivery_mode=DeliveryMode.PERSISTENT,
        headers={ATTEMPTS_HEADER: 5, DEAD_LETTER_REASON_HEADER: "retries exhausted"},
    )
    await publisher.send_to_queue(dead_letter_queue_name(queue.name), message)


async def holds(ready_count: ReadyCount, queue_name: str, expected: int) -> bool:
    return await ready_count(queue_name) == expected


@pytest.mark.asyncio
async def test_list_counts_each_dead_letter_queue_and_skips_missing_ones(
    amqp_url: str, new_queue: NewQueue, channel: AbstractChannel, publisher: Publisher
) -> None:
    busy, idle, never_declared = new_queue(), new_queue(), new_queue()
    await declare_consumer_queue(channel, busy)
    await declare_consumer_queue(channel, idle)
    await park(publisher, busy, "m-1")
    await park(publisher, busy, "m-2")

    counts = await list_dead_letter_queues(amqp_url, [busy.name, idle.name, never_declared.name])

    assert counts == {dead_letter_queue_name(busy.name): 2, dead_letter_queue_name(idle.name): 0}


@pytest.mark.asyncio
async def test_depths_count_waiting_messages_and_consumers_and_skip_missing_queues(
    amqp_url: str, new_queue: NewQueue, channel: AbstractChannel, publisher: Publisher
) -> None:
    waiting, watched, never_declared = new_queue(), new_queue(), new_queue()
    await declare_consumer_queue(channel, waiting)
    await publisher.send_to_queue(waiting.name, Message(b"{}", message_id="m-1"))
    await park(publisher, waiting, "m-2")
    await park(publisher, waiting, "m-3")

    async def hold(message: AbstractIncomingMessage) -> None:
        """Takes nothing: the queue stays empty."""

    await (await declare_consumer_queue(channel, watched)).consume(hold)
    dlq = dead_letter_queue_name(waiting.name)

    depths = await queue_depths(amqp_url, [waiting.name, dlq, watched.name, never_declared.name])

    assert depths == {
        waiting.name: QueueDepth(messages=1, consumers=0),
        dlq: QueueDepth(messages=2, consumers=0),
        watched.name: QueueDepth(messages=0, consumers=1),
    }


@pytest.mark.asyncio
async def test_peek_shows_messages_and_leaves_them_in_place(
    amqp_url: str,
    new_queue: NewQueue,
    channel: AbstractChannel,
    publisher: Publisher,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    await declare_consumer_queue(channel, queue)
    for message_id in ("m-1", "m-2", "m-3"):
        await park(publisher, queue, message_id)
    dlq = dead_letter_queue_name(queue.name)

    shown = await peek(amqp_url, dlq, limit=2)

    assert len(shown) == 2
    assert {letter.message_id for letter in shown} <= {"m-1", "m-2", "m-3"}
    assert all(letter.attempts == 5 for letter in shown)
    assert all(letter.reason == "retries exhausted" for letter in shown)
    # The broker puts the peeked messages back asynchronously: they reappear within moments.
    await wait_for(lambda: holds(ready_count, dlq, 3))


@pytest.mark.asyncio
async def test_replay_moves_messages_back_without_their_attempt_history(
    amqp_url: str,
    new_queue: NewQueue,
    channel: AbstractChannel,
    publisher: Publisher,
    ready_count: ReadyCount,
) -> None:
    queue = new_queue()
    main = await declare_consumer_queue(channel, queue)
    for message_id in ("m-1", "m-2", "m-3"):
        await park(publisher, queue, message_id)
    dlq = dead_letter_queue_name(queue.name)

    assert await replay(amqp_url, dlq, queue.name, limit=2) == 2

    assert await ready_count(dlq) == 1
    replayed = [await main.get(timeout=5) for _ in range(2)]
    assert {message.message_id for message in replayed} <= {"m-1", "m-2", "m-3"}
    assert all(ATTEMPTS_HEADER not in message.headers for message in replayed)
    assert all(DEAD_LETTER_REASON_HEADER not in message.headers for message in replayed)
    assert all(
        message.body == f'{{"say": "{message.message_id}"}}'.encode() for message in replayed
    )


@pytest.mark.asyncio
async def test_a_replayed_message_is_handled_and_retried_again_if_it_fails_again(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_event: SendEvent,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1,))
    dlq = dead_letter_queue_name(queue.name)
    failing = {"first", "second"}
    failing_once_more: set[str] = set()
    handled: list[str] = []

    async def handle(envelope: EventEnvelope) -> None:
        name = envelope.data["name"]
        if name in failing_once_more:
            failing_once_more.discard(name)
            raise TimeoutError("the provider did not answer")
        if name in failing:
            raise TimeoutError("the provider did not answer")
        handled.append(name)

    await start_consumer(Consumer(amqp_url, queue, handle))
    first = await send_event(queue, name="first")
    second = await send_event(queue, name="second")
    await wait_for(lambda: holds(ready_count, dlq, 2))
    failing.discard("first")
    failing_once_more.add("first")

    assert await replay(amqp_url, dlq, queue.name, message_id=first.id) == 1

    # Had its attempt count not been reset, the new failure would have parked it at once.
    await wait_for(lambda: handled == ["first"])
    await wait_for(lambda: holds(ready_count, dlq, 1))
    assert [letter.message_id for letter in await peek(amqp_url, dlq)] == [second.id]


@pytest.mark.asyncio
async def test_drop_deletes_one_message_by_id_or_every_message(
    amqp_url: str,
    new_queue: NewQueue,
    channel: AbstractChannel,
    publisher: Publisher,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    await declare_consumer_queue(channel, queue)
    for message_id in ("m-1", "m-2", "m-3"):
        await park(publisher, queue, message_id)
    dlq = dead_letter_queue_name(queue.name)

    assert await drop(amqp_url, dlq, message_id="m-2") == 1
    await wait_for(lambda: holds(ready_count, dlq, 2))
    assert sorted(letter.message_id or "" for letter in await peek(amqp_url, dlq)) == ["m-1", "m-3"]
    assert await drop(amqp_url, dlq) == 2
    assert await ready_count(dlq) == 0
