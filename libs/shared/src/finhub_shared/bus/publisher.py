"""Publishing with publisher confirms: a publish returns only once the broker has the message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import aio_pika
import structlog
from aio_pika import DeliveryMode, Message
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustConnection,
    HeadersType,
)
from aio_pika.exceptions import AMQPError, ProbableAuthenticationError
from pamqp.commands import Basic
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from finhub_shared import tracing
from finhub_shared.bus.errors import PublishError
from finhub_shared.bus.topology import declare_exchange
from finhub_shared.correlation import current_correlation_id
from finhub_shared.events import EXCHANGE, EventEnvelope, utcnow
from finhub_shared.metrics import PUBLISH_LATENCY

log = structlog.get_logger(__name__)

# The pause between two attempts to reach the broker again after it went away.
RECONNECT_INTERVAL_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 10


async def open_connection(amqp_url: str, *, name: str) -> AbstractRobustConnection:
    """A connection that reconnects by itself and restores its channels, queues and consumers."""
    return await aio_pika.connect_robust(
        amqp_url,
        timeout=CONNECT_TIMEOUT_SECONDS,
        reconnect_interval=RECONNECT_INTERVAL_SECONDS,
        client_properties={"connection_name": name},
    )


def _broker_not_up(error: BaseException) -> bool:
    return isinstance(error, OSError) and not isinstance(error, ProbableAuthenticationError)


def _log_broker_not_up(state: RetryCallState) -> None:
    pause = state.next_action.sleep if state.next_action else 0
    log.warning("broker_not_up_yet", attempt=state.attempt_number, retry_in_seconds=pause)


class Publisher:
    """Publishes to `finhub.events` (or straight to a queue) and waits for the broker's confirm.

    It keeps its own connection: RabbitMQ blocks publishing connections when it runs short of
    memory or disk, and that must not hold back the acks of a consumer in the same process.
    """

    def __init__(
        self,
        amqp_url: str,
        *,
        name: str = "finhub publisher",
        confirm_timeout_seconds: float = 10.0,
    ) -> None:
        self._amqp_url = amqp_url
        self._name = name
        self._confirm_timeout_seconds = confirm_timeout_seconds
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None

    async def connect(self) -> None:
        """Open the connection and a confirming channel, and declare the events exchange."""
        self._connection = await open_connection(self._amqp_url, name=self._name)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await declare_exchange(self._channel)

    async def connect_when_up(self, *, longest_pause_seconds: float = 10) -> None:
        """`connect`, waiting as long as it takes for a broker that is not up yet (a worker
        started before RabbitMQ); wrong credentials still fail at once."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_broker_not_up),
            wait=wait_exponential(multiplier=0.5, max=longest_pause_seconds),
            before_sleep=_log_broker_not_up,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self.connect()

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up now (it reconnects by itself after an outage)."""
        return self._connection is not None and self._connection.connected.is_set()

    async def close(self) -> None:
        """Close the connection (after the last publish has returned)."""
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._channel = None

    async def publish(
        self,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        correlation_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
        exchange: str = EXCHANGE,
        trace_context: Mapping[str, str] | None = None,
    ) -> None:
        """Publish a persistent JSON message and wait for the broker's confirm.

        The correlation id defaults to the current one, and the trace to `trace_context` (an
        outbox row's) or the current one. A message no queue is bound for raises
        PublishError: every event we publish has a consumer, so an unbound routing key means that
        consumer has not declared its queue yet, and the outbox must keep the message until it has.
        """
        with tracing.publishing(exchange, routing_key, message_id, trace_context) as carrier:
            message = Message(
                body,
                message_id=message_id,
                correlation_id=correlation_id or current_correlation_id(),
                content_type="application/json",
                delivery_mode=DeliveryMode.PERSISTENT,
                headers={**(headers or {}), **carrier},
                timestamp=utcnow(),
            )
            await self._publish_confirmed(exchange, routing_key, message)

    async def publish_envelope(
        self, envelope: EventEnvelope, correlation_id: str | None = None
    ) -> None:
        """Publish an event envelope under its own routing key, with its id as message_id."""
        await self.publish(
            envelope.routing_key,
            envelope.model_dump_json().encode(),
            message_id=envelope.id,
            correlation_id=correlation_id,
        )

    async def send_to_queue(self, queue_name: str, message: Message) -> None:
        """Put a message straight into one queue (retries, dead letters, replays) and wait.

        Raises PublishError when the queue does not exist, since the message would be lost.
        """
        await self._publish_confirmed("", queue_name, message)

    async def _publish_confirmed(
        self, exchange_name: str, routing_key: str, message: Message
    ) -> None:
        channel = self._require_channel()
        where = f"{exchange_name or '(default exchange)'} / {routing_key}"
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._confirm_timeout_seconds):
                await channel.ready()
                exchange = await channel.get_exchange(exchange_name, ensure=False)
                confirmation = await exchange.publish(message, routing_key, mandatory=True)
        except TimeoutError as error:
            raise PublishError(
                f"message {message.message_id} to {where}: no confirm within "
                f"{self._confirm_timeout_seconds} s"
            ) from error
        except (AMQPError, ConnectionError) as error:
            raise PublishError(
                f"message {message.message_id} to {where} failed: {type(error).__name__}"
            ) from error
        if not isinstance(confirmation, Basic.Ack):
            raise PublishError(f"message {message.message_id} to {where}: no queue is bound")
        PUBLISH_LATENCY.observe(time.perf_counter() - started)

    def _require_channel(self) -> AbstractRobustChannel:
        if self._channel is None:
            raise RuntimeError("Publisher.connect() must be awaited before publishing")
        return self._channel


def republish_copy(message: AbstractIncomingMessage, *, headers: HeadersType) -> Message:
    """A persistent copy of a received message, carrying `headers` instead of its own.

    `user_id` is left out because the broker checks it against the publishing connection,
    `expiration` because a retry tier decides how long the copy waits.
    """
    return Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
    )


def application_headers(message: AbstractIncomingMessage) -> HeadersType:
    """The message's headers without the broker's bookkeeping (`x-death`, `x-delivery-count`).

    The broker adds those `x-` headers on every hop; a copy we publish starts without them,
    keeping ours (`x-finhub-...`).
    """
    return {
        name: value
        for name, value in message.headers.items()
        if not name.startswith("x-") or name.startswith("x-finhub-")
    }
