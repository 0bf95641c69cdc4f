"""Dead letters of the consumer queues the gateway's settings name (ADMIN_DEAD_LETTER_QUEUES).

The shared dead-letter operations do the work (finhub_shared.bus.dead_letters, as the services'
`dlq` commands): a broker that cannot be reached answers 503, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiormq.exceptions import AMQPError, ChannelNotFoundEntity

from finhub_shared.bus import dead_letters
from finhub_shared.bus.topology import dead_letter_queue_name
from finhub_shared.logging import redact_text
from webhook_gateway.config import GatewaySettings
from webhook_gateway.dead_letters.errors import BrokerUnavailable, QueueNotFound
from webhook_gateway.dead_letters.schemas import (
    DeadLetterList,
    DeadLetterOut,
    DeadLetterQueue,
    DeadLetterQueues,
)

# A body is an event envelope; a provider's can reach a megabyte, more than a page should hold.
BODY_SHOWN_CHARACTERS = 20_000

T = TypeVar("T")


async def _on_broker(operation: Awaitable[T], missing: T) -> T:
    """The operation's result; `missing` when the DLQ was never declared (its consumer never
    started, so it holds nothing); 503 when the broker cannot be reached."""
    try:
        return await operation
    except ChannelNotFoundEntity:
        return missing
    except (AMQPError, OSError, TimeoutError) as error:
        raise BrokerUnavailable("RabbitMQ cannot be reached; try again shortly.") from error


def _checked(settings: GatewaySettings, queue: str) -> str:
    if queue not in settings.dead_letter_queues:
        raise QueueNotFound(f"{queue} is not one of the consumer queues the admin API knows.")
    return queue


async def queues(settings: GatewaySettings) -> DeadLetterQueues:
    """Every known queue with its depth, its consumers and how many messages its DLQ holds."""
    names = [
        *settings.dead_letter_queues,
        *map(dead_letter_queue_name, settings.dead_letter_queues),
    ]
    depths = await _on_broker(
        dead_letters.queue_depths(settings.amqp_url.get_secret_value(), names), {}
    )
    items = []
    for queue in settings.dead_letter_queues:
        main, parked = depths.get(queue), depths.get(dead_letter_queue_name(queue))
        items.append(
            DeadLetterQueue(
                queue=queue,
                queue_messages=main.messages if main else None,
                consumers=main.consumers if main else None,
                dead_letter_queue=dead_letter_queue_name(queue),
                messages=parked.messages if parked else None,
            )
        )
    return DeadLetterQueues(items=items)


async def letters(settings: GatewaySettings, queue: str, limit: int) -> DeadLetterList:
    """The first `limit` parked messages of the queue, left in place."""
    name = dead_letter_queue_name(_checked(settings, queue))
    parked = await _on_broker(
        dead_letters.peek(settings.amqp_url.get_secret_value(), name, limit), []
    )
    return DeadLetterList(
        queue=queue,
        items=[
            DeadLetterOut(
                message_id=letter.message_id,
                correlation_id=letter.correlation_id,
                attempts=letter.attempts,
                reason=letter.reason,
                # Letters parked by older code may still carry a secret: redacted like the logs.
                last_error=redact_text(letter.last_error) if letter.last_error else None,
                body=redact_text(
                    letter.body[:BODY_SHOWN_CHARACTERS].decode("utf-8", errors="replace")
                ),
            )
            for letter in parked
        ],
    )


async def replay(settings: GatewaySettings, queue: str, message_id: str | None) -> int:
    """Move the parked messages (or the one with `message_id`) back to their queue."""
    name = dead_letter_queue_name(_checked(settings, queue))
    return await _on_broker(
        dead_letters.replay(
            settings.amqp_url.get_secret_value(), name, queue, message_id=message_id
        ),
        0,
    )


async def drop(settings: GatewaySettings, queue: str, message_id: str | None) -> int:
    """Delete the parked messages (or the one with `message_id`) for good."""
    name = dead_letter_queue_name(_checked(settings, queue))
    return await _on_broker(
        dead_letters.drop(settings.amqp_url.get_secret_value(), name, message_id=message_id), 0
    )
