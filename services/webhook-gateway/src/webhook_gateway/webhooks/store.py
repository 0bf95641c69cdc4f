"""Durable storage on the hot path: each event row and its outbox row in one statement, with the
inserts of concurrent requests grouped into one transaction (one commit, one fsync, many events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
import structlog

from finhub_shared.supervision import Heartbeat, Supervisor
from webhook_gateway.webhooks.errors import MalformedEvent, StorageUnavailable

log = structlog.get_logger(__name__)

# What a database outage or restart raises: lost connections, refused connections, timeouts.
_DATABASE_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)

EventStatus = Literal["routed", "ignored"]

# Pluggy gives up after 5 s: past this, answer 503 (the provider retries) rather than time out.
SAVE_TIMEOUT_SECONDS = 4.0
STORE_TIMEOUT_SECONDS = 3.0
CONNECTION_WAIT_SECONDS = 2.0
# An idle writer still beats this often; one silent for its window is reported by /readyz.
IDLE_BEAT_SECONDS = 1.0
WRITER_WINDOW_SECONDS = 30.0

# Plain asyncpg here: one round trip per batch, no ORM work per row. The event row and its outbox
# row are written together, so an event is never stored without being queued for the bus.
_INSERT_BATCH = """
WITH incoming AS (
    SELECT *
    FROM unnest(
        $1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::uuid[],
        $8::timestamptz[], $9::timestamptz[], $10::text[], $11::bytea[], $12::text[], $13::text[],
        $14::text[]
    ) AS t(source, event_id, event_type, status, raw_body, headers, company_id,
           occurred_at, received_at, routing_key, envelope, correlation_id, api_version,
           trace_context)
), stored AS (
    INSERT INTO webhook_events (id, source, event_id, event_type, status, raw_body, headers,
                                company_id, occurred_at, received_at, api_version)
    SELECT gen_random_uuid(), source, event_id, event_type, status, raw_body, headers::jsonb,
           company_id, occurred_at, received_at, api_version
    FROM incoming
    -- One order for every writer: two batches holding the same ids then wait for each other
    -- in turn instead of deadlocking on the unique index.
    ORDER BY event_id, source
    ON CONFLICT (event_id, source) DO NOTHING
    RETURNING source, event_id, status
), queued AS (
    INSERT INTO outbox_messages (message_id, routing_key, body, correlation_id, trace_context)
    SELECT incoming.event_id, incoming.routing_key, incoming.envelope, incoming.correlation_id,
           incoming.trace_context::jsonb
    FROM stored JOIN incoming USING (source, event_id)
    WHERE stored.status = 'routed'
)
SELECT source, event_id FROM stored
"""


@dataclass(frozen=True)
class IncomingEvent:
    """A verified delivery, ready to be stored (and, when queued, published as `envelope`)."""

    source: str
    event_id: str
    event_type: str
    status: EventStatus
    raw_body: bytes
    headers: dict[str, str]
    company_id: uuid.UUID | None
    occurred_at: datetime
    received_at: datetime
    routing_key: str
    envelope: bytes
    correlation_id: str | None
    api_version: str | None = None
    # The request's trace, continued by the event's consumers (None: tracing is off).
    trace_context: dict[str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What makes two deliveries the same event."""
        return (self.source, self.event_id)


@dataclass
class _Pending:
    event: IncomingEvent
    stored: asyncio.Future[bool]


class EventStore:
    """Stores events durably; `save` returns only after the commit, True for a new event.

    Its writers run under the app's Supervisor; whatever happens to the database, `save`
    answers within SAVE_TIMEOUT_SECONDS, with StorageUnavailable (503) if it must.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        supervisor: Supervisor,
        *,
        writers: int = 2,
        max_batch: int = 256,
    ) -> None:
        self._pool = pool
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        for number in range(1, writers + 1):
            supervisor.start(
                f"store-writer-{number}", self._write_forever, window_seconds=WRITER_WINDOW_SECONDS
            )

    async def save(self, event: IncomingEvent) -> bool:
        """Store `event` with its outbox row; False when it was already stored (a redelivery)."""
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(event, stored))
        try:
            async with asyncio.timeout(SAVE_TIMEOUT_SECONDS):
                return await stored
        except TimeoutError:
            log.error("webhook_store_timed_out", time_limit_seconds=SAVE_TIMEOUT_SECONDS)
            raise StorageUnavailable("The event could not be stored in time.") from None

    async def exists(self, source: str, event_id: str) -> bool:
        """Whether this event was stored before."""
        query = "SELECT 1 FROM webhook_events WHERE event_id = $1 AND source = $2"
        try:
            async with self._pool.acquire(timeout=CONNECTION_WAIT_SECONDS) as connection:
                found = await connection.fetchval(
                    query, event_id, source, timeout=STORE_TIMEOUT_SECONDS
                )
        except _DATABASE_FAILURES as error:
            log.error("webhook_lookup_failed", error=type(error).__name__)
            raise StorageUnavailable("The event store cannot be read now.") from None
        return found is not None

    async def drain(self) -> None:
        """Give the events already waiting a last chance to be written (at shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SAVE_TIMEOUT_SECONDS):
                await self._queue.join()

    async def _write_forever(self, heartbeat: Heartbeat) -> None:
        while not heartbeat.stopping.is_set():
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=IDLE_BEAT_SECONDS)
            except TimeoutError:
                heartbeat.beat()
                continue
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_waiting(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()
            heartbeat.beat()

    async def _write_waiting(self, batch: list[_Pending]) -> None:
        # A request that gave up (503, or its client left) is not written: the provider retries.
        waiting = [pending for pending in batch if not pending.stored.done()]
        if not waiting:
            return
        try:
            await self._write(waiting)
        except Exception as error:
            # Whatever failed, every waiting request gets its answer now, and the writer goes on.
            log.error("webhook_store_failed", error=type(error).__name__, batch=len(waiting))
            _fail(waiting, StorageUnavailable("The event could not be stored."))

    async def _write(self, batch: list[_Pending]) -> None:
        first_of_each: dict[tuple[str, str], _Pending] = {}
        for pending in batch:
            first_of_each.setdefault(pending.event.key, pending)
        rows = [pending.event for pending in first_of_each.values()]
        try:
            records = await self._insert(rows)
        except asyncpg.DataError as error:
            # A value PostgreSQL refuses (validation should have caught it): that event alone is
            # malformed, and the others grouped with it are written one by one.
            if len(rows) > 1:
                await self._write_one_by_one(batch)
                return
            log.warning("webhook_refused_by_database", error=type(error).__name__)
            _fail(batch, MalformedEvent("The event holds a value that cannot be stored."))
            return
        except _DATABASE_FAILURES as error:
            log.error("webhook_store_failed", error=type(error).__name__, batch=len(batch))
            _fail(batch, StorageUnavailable("The event could not be stored."))
            return
        new_keys = {(record["source"], record["event_id"]) for record in records}
        for pending in batch:
            is_new = pending is first_of_each[pending.event.key] and pending.event.key in new_keys
            _settle(pending.stored, result=is_new)

    async def _write_one_by_one(self, batch: list[_Pending]) -> None:
        by_event: dict[tuple[str, str], list[_Pending]] = {}
        for pending in batch:
            by_event.setdefault(pending.event.key, []).append(pending)
        for deliveries in by_event.values():
            await self._write(deliveries)

    async def _insert(self, rows: list[IncomingEvent]) -> list[asyncpg.Record]:
        columns = _columns(rows)
        async with self._pool.acquire(timeout=CONNECTION_WAIT_SECONDS) as connection:
            try:
                records: list[asyncpg.Record] = await connection.fetch(
                    _INSERT_BATCH, *columns, timeout=STORE_TIMEOUT_SECONDS
                )
            except asyncpg.DeadlockDetectedError:
                # Ordered inserts make this all but impossible; should it happen, once more is
                # enough.
                records = await connection.fetch(
                    _INSERT_BATCH, *columns, timeout=STORE_TIMEOUT_SECONDS
                )
        return records


def _columns(rows: list[IncomingEvent]) -> list[list[Any]]:
    return [
        [row.source for row in rows],
        [row.event_id for row in rows],
        [row.event_type for row in rows],
        [row.status for row in rows],
        [row.raw_body for row in rows],
        [json.dumps(row.headers) for row in rows],
        [row.company_id for row in rows],
        [row.occurred_at for row in rows],
        [row.received_at for row in rows],
        [row.routing_key for row in rows],
        [row.envelope for row in rows],
        [row.correlation_id for row in rows],
        [row.api_version for row in rows],
        [json.dumps(row.trace_context) if row.trace_context else None for row in rows],
    ]


def _fail(batch: list[_Pending], error: BaseException) -> None:
    for pending in batch:
        _settle(pending.stored, error=error)


def _settle(
    future: asyncio.Future[bool], *, result: bool = False, error: BaseException | None = None
) -> None:
    if future.done():  # the request was cancelled (client went away)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
