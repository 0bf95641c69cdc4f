"""Consuming: decode, handle, ack; failures are retried with growing delays, then dead-lettered."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from aio_pika.exceptions import AMQPError
from pydantic import ValidationError

from finhub_shared import tracing
from finhub_shared.bus.errors import PublishError, Refused
from finhub_shared.bus.outcomes import OutcomeReporter, Skipped, State, is_reported, outcome_of
from finhub_shared.bus.publisher import (
    Publisher,
    application_headers,
    open_connection,
    republish_copy,
)
from finhub_shared.bus.topology import (
    ConsumerQueue,
    dead_letter_queue_name,
    declare_consumer_queue,
    retry_queue_name,
)
from finhub_shared.correlation import correlation_scope
from finhub_shared.events import EventEnvelope
from finhub_shared.logging import redact_text
from finhub_shared.metrics import (
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_FAILED,
    MESSAGES_RETRIED,
)

# Returns None once it handled the event, or why it did nothing with it (reported as ignored).
MessageHandler = Callable[[EventEnvelope], Awaitable[Skipped | None]]


# How many handling attempts of this message have failed so far (absent: none).
ATTEMPTS_HEADER = "x-finhub-attempt"
# `ExceptionClass: message` of the last failed attempt.
LAST_ERROR_HEADER = "x-finhub-last-error"
# Why a message was parked in the DLQ.
DEAD_LETTER_REASON_HEADER = "x-finhub-dead-letter-reason"

# When a retry or a dead letter cannot be published the message goes back to the queue; the
# pause keeps it from spinning while the broker is unreachable.
_REQUEUE_PAUSE_SECONDS = 1.0
_CANCEL_TIMEOUT_SECONDS = 5.0
# A handler still running after this is cut short and its message retried later: a hung call
# must not hold a prefetch slot and a database connection for ever.
HANDLER_TIME_LIMIT_SECONDS = 120.0
_ERROR_TEXT_LIMIT = 200

log = structlog.get_logger(__name__)


class Consumer:
    """Reads one ConsumerQueue and calls `handle` with each envelope, acking after it returns.

    `handle` commits its own database transaction before returning; if it raises, a copy of
    the message goes to the next retry tier (or the DLQ after the last) and the original is
    acked only once the broker confirmed the copy. A handler runs only while it holds one of
    `handler_slots`, which a worker's consumers share (each handler holds a database connection).
    """

    def __init__(
        self,
        amqp_url: str,
        queue: ConsumerQueue,
        handle: MessageHandler,
        *,
        prefetch: int = 16,
        handler_slots: asyncio.Semaphore | None = None,
        handler_time_limit_seconds: float = HANDLER_TIME_LIMIT_SECONDS,
    ) -> None:
        self.queue = queue
        self._amqp_url = amqp_url
        self._handle = handle
        self._prefetch = prefetch
        self._handler_slots = handler_slots or asyncio.Semaphore(prefetch)
        self._handler_time_limit_seconds = handler_time_limit_seconds
        self._publisher = Publisher(amqp_url, name=f"{queue.name} retries")
        self._outcomes = OutcomeReporter(self._publisher)
        self._connection: AbstractRobustConnection | None = None
        self._main_queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Declare the queue, its retry tiers and DLQ, and start taking messages."""
        await self._publisher.connect()
        self._connection = await open_connection(self._amqp_url, name=f"{self.queue.name} consumer")
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self._prefetch)
        self._main_queue = await declare_consumer_queue(channel, self.queue)
        self._consumer_tag = await self._main_queue.consume(self._on_message)
        log.info("bus_consumer_started", queue=self.queue.name, prefetch=self._prefetch)

    @property
    def is_connected(self) -> bool:
        """Whether the consumer's connection is up now (it reconnects by itself)."""
        return self._connection is not None and self._connection.connected.is_set()

    async def stop(self) -> None:
        """Stop taking messages, let those being handled finish and settle, then disconnect."""
        await self._stop_taking_messages()
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        await self._outcomes.flush()
        await self._publisher.close()
        log.info("bus_consumer_stopped", queue=self.queue.name)

    async def _stop_taking_messages(self) -> None:
        if self._main_queue is None or self._consumer_tag is None:
            return
        try:
            async with asyncio.timeout(_CANCEL_TIMEOUT_SECONDS):
                await self._main_queue.cancel(self._consumer_tag)
        except (TimeoutError, AMQPError, ConnectionError):
            # Without a broker there is nothing to cancel; closing the connection settles it.
            log.warning("bus_consumer_cancel_failed", queue=self.queue.name)
        self._consumer_tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            with (
                correlation_scope(message.correlation_id),
                structlog.contextvars.bound_contextvars(queue=self.queue.name),
                tracing.consuming(
                    self.queue.name, message.routing_key, message.message_id, message.headers
                ),
            ):
                await self._process(message)
        finally:
            self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = EventEnvelope.model_validate_json(message.body)
        except ValidationError as error:
            await self._park_poison(message, error)
            return
        with structlog.contextvars.bound_contextvars(
            event_id=envelope.id, event_type=envelope.type
        ):
            try:
                async with self._handler_slots, asyncio.timeout(self._handler_time_limit_seconds):
                    skipped = await self._handle(envelope)
            except Refused as error:
                await self._park(message, f"refused: {_describe_error(error)}", envelope)
                return
            except Exception as error:
                await self._retry_later(message, envelope, error)
                return
            await _settle(message.ack())
            MESSAGES_CONSUMED.labels(queue=self.queue.name).inc()
            if skipped is None:
                self._report(message, envelope, "handled")
            else:
                self._report(message, envelope, "ignored", reason=skipped)

    async def _park_poison(self, message: AbstractIncomingMessage, error: ValidationError) -> None:
        await self._park(message, f"invalid envelope: {_describe_validation_error(error)}")

    async def _park(
        self, message: AbstractIncomingMessage, reason: str, envelope: EventEnvelope | None = None
    ) -> None:
        log.error("bus_poison_message", message_id=message.message_id, reason=reason)
        tracing.mark_failed(reason)
        headers = {**application_headers(message), DEAD_LETTER_REASON_HEADER: reason}
        if await self._move(message, dead_letter_queue_name(self.queue.name), headers):
            MESSAGES_DEAD_LETTERED.labels(queue=self.queue.name).inc()
            if envelope is not None:
                self._report(message, envelope, "dead_lettered", reason=reason)

    async def _retry_later(
        self, message: AbstractIncomingMessage, envelope: EventEnvelope, error: Exception
    ) -> None:
        MESSAGES_FAILED.labels(queue=self.queue.name).inc()
        failed_attempts = _failed_attempts(message) + 1
        last_error = _describe_error(error)
        tracing.mark_failed(last_error)
        headers = {
            **application_headers(message),
            ATTEMPTS_HEADER: failed_attempts,
            LAST_ERROR_HEADER: last_error,
        }
        delays = self.queue.retry_delays_seconds
        if failed_attempts > len(delays):
            log.error("bus_handler_failed", attempt=failed_attempts, gave_up=True, exc_info=error)
            headers[DEAD_LETTER_REASON_HEADER] = "retries exhausted"
            if await self._move(message, dead_letter_queue_name(self.queue.name), headers):
                MESSAGES_DEAD_LETTERED.labels(queue=self.queue.name).inc()
                self._report(
                    message,
                    envelope,
                    "dead_lettered",
                    attempts=failed_attempts,
                    error=last_error,
                    reason="retries exhausted",
                )
            return
        delay = delays[failed_attempts - 1]
        log.error("bus_handler_failed", attempt=failed_attempts, retry_in_s=delay, exc_info=error)
        if await self._move(message, retry_queue_name(self.queue.name, delay), headers):
            MESSAGES_RETRIED.labels(queue=self.queue.name).inc()
            self._report(message, envelope, "retrying", attempts=failed_attempts, error=last_error)

    def _report(
        self,
        message: AbstractIncomingMessage,
        envelope: EventEnvelope,
        state: State,
        *,
        attempts: int | None = None,
        error: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Tell the bus what became of a provider event on this queue (never waits, never fails)."""
        if not is_reported(envelope):
            return
        outcome = outcome_of(
            envelope,
            self.queue.name,
            state,
            binding_keys=self.queue.binding_keys,
            attempts=_failed_attempts(message) if attempts is None else attempts,
            error=error,
            reason=reason,
            correlation_id=message.correlation_id,
        )
        self._outcomes.report(outcome)

    async def _move(
        self, message: AbstractIncomingMessage, queue_name: str, headers: dict[str, Any]
    ) -> bool:
        """Publish a copy to `queue_name` and ack the original once confirmed; else requeue it."""
        copy = republish_copy(message, headers=headers)
        try:
            await self._publisher.send_to_queue(queue_name, copy)
        except PublishError as error:
            log.warning("bus_message_requeued", target_queue=queue_name, reason=error.message)
            await asyncio.sleep(_REQUEUE_PAUSE_SECONDS)
            await _settle(message.nack(requeue=True))
            return False
        await _settle(message.ack())
        return True


async def run_consumers(*consumers: Consumer) -> None:
    """Start the consumers, run until SIGTERM or SIGINT, then stop them gracefully."""
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop_requested.set)
    try:
        for consumer in consumers:
            await consumer.start()
        await stop_requested.wait()
    finally:
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)
        await asyncio.gather(*(consumer.stop() for consumer in consumers))


async def _settle(acknowledgement: Awaitable[None]) -> None:
    """Send an ack or nack; if the channel is gone meanwhile, the broker redelivers anyway."""
    try:
        await acknowledgement
    except (AMQPError, ConnectionError):
        log.warning("bus_message_settle_failed", exc_info=True)


def _failed_attempts(message: AbstractIncomingMessage) -> int:
    value = message.headers.get(ATTEMPTS_HEADER)
    return value if isinstance(value, int) else 0


def _describe_error(error: Exception) -> str:
    # Redacted before it is cut: a secret cut in half no longer looks like one.
    return redact_text(f"{type(error).__name__}: {error}")[:_ERROR_TEXT_LIMIT]


def _describe_validation_error(error: ValidationError) -> str:
    """Where and why the body is invalid, without echoing the body (it may hold anything)."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{error.error_count()} error(s), first at {where}: {first['msg']}"[:_ERROR_TEXT_LIMIT]
