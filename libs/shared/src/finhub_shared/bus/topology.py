"""Where messages live: the events exchange and, per consumer, its queue, retry tiers and DLQ.

A consumer queue `billing.stripe` comes with:

- `billing.stripe`: the quorum queue the consumer reads, bound to `finhub.events`;
- `billing.stripe.retry.10s` (one per delay): a quorum queue nobody reads; its message TTL
  sends each message back to `billing.stripe` through the default exchange when the delay ends;
- `billing.stripe.dlq`: where messages are parked once every retry has failed.

The delay is part of a retry queue's name because RabbitMQ refuses to redeclare a queue with
other arguments: changing the delays creates new queues instead of failing at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from finhub_shared.events import EXCHANGE

_QUORUM: dict[str, Any] = {"x-queue-type": "quorum"}

# At-least-once dead-lettering (RabbitMQ 3.10+) keeps a message until the target queue has it;
# the broker silently falls back to at-most-once unless the overflow mode is reject-publish.
_SAFE_DEAD_LETTERING: dict[str, Any] = {
    "x-dead-letter-exchange": "",
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}


@dataclass(frozen=True)
class ConsumerQueue:
    """One consuming service's queue for one purpose, e.g. `billing.stripe` bound to `stripe.#`.

    `delivery_limit` is the broker's own safety net: a message redelivered that many times
    without being settled (the worker crashes on it, say) is parked in the DLQ.
    """

    name: str
    binding_keys: tuple[str, ...]
    retry_delays_seconds: tuple[float, ...] = (1, 10, 60, 600)
    delivery_limit: int = 10

    def __post_init__(self) -> None:
        if any(delay <= 0 for delay in self.retry_delays_seconds):
            raise ValueError("retry delays must be positive")


def retry_queue_name(queue_name: str, delay_seconds: float) -> str:
    """The delay queue of one retry tier: `billing.stripe.retry.10s`, `....retry.200ms`."""
    milliseconds = round(delay_seconds * 1000)
    if milliseconds % 1000 == 0:
        return f"{queue_name}.retry.{milliseconds // 1000}s"
    return f"{queue_name}.retry.{milliseconds}ms"


def dead_letter_queue_name(queue_name: str) -> str:
    """Where `queue_name` parks messages it gave up on: `billing.stripe.dlq`."""
    return f"{queue_name}.dlq"


async def declare_exchange(channel: AbstractChannel) -> AbstractExchange:
    """Declare `finhub.events`: topic, durable."""
    return await channel.declare_exchange(EXCHANGE, ExchangeType.TOPIC, durable=True)


async def declare_consumer_queue(channel: AbstractChannel, queue: ConsumerQueue) -> AbstractQueue:
    """Declare the queue with its bindings, its retry tiers and its DLQ; return the main queue."""
    await declare_exchange(channel)
    await channel.declare_queue(dead_letter_queue_name(queue.name), durable=True, arguments=_QUORUM)
    for delay in queue.retry_delays_seconds:
        await channel.declare_queue(
            retry_queue_name(queue.name, delay),
            durable=True,
            arguments=_retry_tier_arguments(queue.name, delay),
        )
    main = await channel.declare_queue(
        queue.name, durable=True, arguments=_main_queue_arguments(queue)
    )
    for binding_key in queue.binding_keys:
        await main.bind(EXCHANGE, routing_key=binding_key)
    return main


async def delete_consumer_queue(channel: AbstractChannel, queue: ConsumerQueue) -> None:
    """Delete the queue, its retry tiers and its DLQ, messages included (tests, decommissioning)."""
    for delay in queue.retry_delays_seconds:
        await channel.queue_delete(retry_queue_name(queue.name, delay))
    await channel.queue_delete(dead_letter_queue_name(queue.name))
    await channel.queue_delete(queue.name)


def _main_queue_arguments(queue: ConsumerQueue) -> dict[str, Any]:
    return {
        **_QUORUM,
        **_SAFE_DEAD_LETTERING,
        "x-dead-letter-routing-key": dead_letter_queue_name(queue.name),
        "x-delivery-limit": queue.delivery_limit,
    }


def _retry_tier_arguments(queue_name: str, delay_seconds: float) -> dict[str, Any]:
    return {
        **_QUORUM,
        **_SAFE_DEAD_LETTERING,
        "x-dead-letter-routing-key": queue_name,
        "x-message-ttl": round(delay_seconds * 1000),
    }
