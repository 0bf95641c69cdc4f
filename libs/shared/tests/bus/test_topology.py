"""Topology: queue names, and the broker parking a message that keeps coming back unsettled."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from aio_pika.abc import AbstractChannel

from finhub_shared.bus import (
    ConsumerQueue,
    Publisher,
    dead_letter_queue_name,
    declare_consumer_queue,
    peek,
    retry_queue_name,
)

NewQueue = Callable[..., ConsumerQueue]
ReadyCount = Callable[[str], Awaitable[int]]
WaitFor = Callable[..., Awaitable[None]]


def test_retry_and_dead_letter_queues_are_named_after_their_queue() -> None:
    assert retry_queue_name("billing.stripe", 10) == "billing.stripe.retry.10s"
    assert retry_queue_name("billing.stripe", 600) == "billing.stripe.retry.600s"
    assert retry_queue_name("billing.stripe", 0.25) == "billing.stripe.retry.250ms"
    assert dead_letter_queue_name("billing.stripe") == "billing.stripe.dlq"


def test_a_retry_delay_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ConsumerQueue("billing.stripe", ("stripe.#",), retry_delays_seconds=(1, 0))


@pytest.mark.asyncio
async def test_a_message_redelivered_past_the_delivery_limit_is_parked_by_the_broker(
    amqp_url: str,
    new_queue: NewQueue,
    channel: AbstractChannel,
    publisher: Publisher,
    ready_count: ReadyCount,
    wait_for: WaitFor,
) -> None:
    # What happens to a message that crashes every worker that takes it.
    queue = dataclasses.replace(new_queue(), delivery_limit=2)
    main = await declare_consumer_queue(channel, queue)
    await publisher.publish(f"{queue.name}.x", b"{}", message_id="crashes-everyone")

    deliveries = 0
    async with asyncio.timeout(10):
        while deliveries <= queue.delivery_limit:
            message = await main.get(fail=False)
            if message is None:  # still on its way back to the queue
                await asyncio.sleep(0.05)
                continue
            await message.nack(requeue=True)
            deliveries += 1

    async def parked() -> bool:
        return await ready_count(dead_letter_queue_name(queue.name)) == 1

    await wait_for(parked)
    [letter] = await peek(amqp_url, dead_letter_queue_name(queue.name))
    assert letter.message_id == "crashes-everyone"
    assert letter.reason == "delivery_limit"
