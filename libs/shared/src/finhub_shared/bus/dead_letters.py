"""Operating dead-letter queues over AMQP: count, inspect, replay and drop parked messages.

Messages are taken with basic.get and held unacknowledged until each is settled; anything not
settled (a message that does not match, or every message if the command fails half-way) goes
back to the DLQ when the command ends, so no message is lost by accident. The broker puts
messages back asynchronously: they are counted again a moment later. Each provider event
replayed or dropped is reported on the bus (`bus.outcome`), for the gateway's event fates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from aio_pika.exceptions import ChannelNotFoundEntity
from pydantic import ValidationError

from finhub_shared.bus.consumer import (
    ATTEMPTS_HEADER,
    DEAD_LETTER_REASON_HEADER,
    LAST_ERROR_HEADER,
)
from finhub_shared.bus.outcomes import Outcome, State, is_reported, outcome_of, send
from finhub_shared.bus.publisher import Publisher, application_headers, republish_copy
from finhub_shared.bus.topology import dead_letter_queue_name
from finhub_shared.events import EventEnvelope

_FINHUB_HEADERS = (ATTEMPTS_HEADER, LAST_ERROR_HEADER, DEAD_LETTER_REASON_HEADER)


@dataclass(frozen=True)
class DeadLetter:
    """One parked message, as an operator sees it."""

    message_id: str | None
    correlation_id: str | None
    attempts: int
    reason: str | None
    last_error: str | None
    body: bytes


@dataclass(frozen=True)
class QueueDepth:
    """A queue's messages waiting for a consumer, and the consumers attached to it."""

    messages: int
    consumers: int


async def queue_depths(amqp_url: str, queue_names: Iterable[str]) -> dict[str, QueueDepth]:
    """The depth of each named queue; absent queues are left out."""
    depths: dict[str, QueueDepth] = {}
    async with _connection(amqp_url) as connection:
        for queue_name in queue_names:
            # A passive declare of a missing queue closes its channel, hence one per queue.
            async with connection.channel() as channel:
                try:
                    queue = await channel.declare_queue(queue_name, passive=True)
                except ChannelNotFoundEntity:
                    continue
                declared = queue.declaration_result
                depths[queue_name] = QueueDepth(
                    declared.message_count or 0, declared.consumer_count or 0
                )
    return depths


async def list_dead_letter_queues(amqp_url: str, queue_names: Iterable[str]) -> dict[str, int]:
    """Messages waiting in the DLQ of each consumer queue, by DLQ name; absent DLQs are left out."""
    dlq_names = [dead_letter_queue_name(queue_name) for queue_name in queue_names]
    depths = await queue_depths(amqp_url, dlq_names)
    return {name: depth.messages for name, depth in depths.items()}


async def peek(amqp_url: str, dlq_name: str, limit: int = 10) -> list[DeadLetter]:
    """Up to `limit` messages from the head of the DLQ, left in place."""
    async with _connection(amqp_url) as connection, connection.channel() as channel:
        queue = await channel.declare_queue(dlq_name, passive=True)
        taken: list[AbstractIncomingMessage] = []
        while len(taken) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            taken.append(message)
        for message in taken:
            await message.nack(requeue=True)
    return [_describe(message) for message in taken]


async def replay(
    amqp_url: str,
    dlq_name: str,
    target_queue: str,
    *,
    message_id: str | None = None,
    limit: int | None = None,
) -> int:
    """Move dead letters (all, or those with `message_id`) to `target_queue` as fresh attempts.

    Each copy is confirmed by the broker before its original is removed. Returns how many moved.
    """
    publisher = Publisher(amqp_url, name="finhub dead-letter replay")
    await publisher.connect()

    async def move(message: AbstractIncomingMessage) -> None:
        headers = {
            name: value
            for name, value in application_headers(message).items()
            if name not in _FINHUB_HEADERS
        }
        # Stamped before the copy goes, so it is older than what its next attempt reports.
        outcome = _outcome(message, target_queue, "replayed")
        await publisher.send_to_queue(target_queue, republish_copy(message, headers=headers))
        if outcome is not None:
            await send(publisher, [outcome])

    try:
        return await _settle_matching(amqp_url, dlq_name, message_id, limit, move)
    finally:
        await publisher.close()


async def drop(amqp_url: str, dlq_name: str, *, message_id: str | None = None) -> int:
    """Delete dead letters for good (all, or those with `message_id`); returns how many."""
    publisher = Publisher(amqp_url, name="finhub dead-letter drop")
    await publisher.connect()
    queue_name = dlq_name.removesuffix(dead_letter_queue_name(""))

    async def forget(message: AbstractIncomingMessage) -> None:
        """Acking the message is all it takes; the outcome only tells it."""
        outcome = _outcome(message, queue_name, "dropped")
        if outcome is not None:
            await send(publisher, [outcome])

    try:
        return await _settle_matching(amqp_url, dlq_name, message_id, None, forget)
    finally:
        await publisher.close()


async def _settle_matching(
    amqp_url: str,
    dlq_name: str,
    message_id: str | None,
    limit: int | None,
    action: Callable[[AbstractIncomingMessage], Awaitable[None]],
) -> int:
    """Run `action` on each matching message, then ack it; hold the others and put them back.

    Only the messages present at the start are visited, so a replayed message that fails and
    returns to the DLQ meanwhile is not replayed twice.
    """
    settled = 0
    held: list[AbstractIncomingMessage] = []
    async with _connection(amqp_url) as connection, connection.channel() as channel:
        queue = await channel.declare_queue(dlq_name, passive=True)
        for _ in range(queue.declaration_result.message_count or 0):
            if limit is not None and settled >= limit:
                break
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if message_id is not None and message.message_id != message_id:
                held.append(message)
                continue
            await action(message)
            await message.ack()
            settled += 1
        for message in held:
            await message.nack(requeue=True)
    return settled


@asynccontextmanager
async def _connection(amqp_url: str) -> AsyncIterator[AbstractConnection]:
    connection = await aio_pika.connect(
        amqp_url, client_properties={"connection_name": "finhub dead-letter ops"}
    )
    async with connection:
        yield connection


def _outcome(message: AbstractIncomingMessage, queue_name: str, state: State) -> Outcome | None:
    """The outcome to report of a parked provider event, or None (another event, or no event)."""
    try:
        envelope = EventEnvelope.model_validate_json(message.body)
    except ValidationError:
        return None
    if not is_reported(envelope):
        return None
    attempts = message.headers.get(ATTEMPTS_HEADER)
    return outcome_of(
        envelope,
        queue_name,
        state,
        attempts=attempts if isinstance(attempts, int) else 0,
        reason=_text(message.headers.get(DEAD_LETTER_REASON_HEADER)),
        correlation_id=message.correlation_id,
    )


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    attempts = message.headers.get(ATTEMPTS_HEADER)
    return DeadLetter(
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        attempts=attempts if isinstance(attempts, int) else 0,
        reason=_text(message.headers.get(DEAD_LETTER_REASON_HEADER)) or _broker_reason(message),
        last_error=_text(message.headers.get(LAST_ERROR_HEADER)),
        body=message.body,
    )


def _broker_reason(message: AbstractIncomingMessage) -> str | None:
    """Why the broker itself dead-lettered the message (e.g. `delivery_limit`), if it did."""
    deaths = message.headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return _text(deaths[0].get("reason"))
    return None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value if isinstance(value, str) else None
