"""The transactional outbox: messages written with the business change, published by a relay."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

import structlog
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Insert,
    Integer,
    LargeBinary,
    Row,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from finhub_shared import metrics
from finhub_shared.correlation import current_correlation_id
from finhub_shared.db import Database, table_of
from finhub_shared.events import EXCHANGE, EventEnvelope, utcnow
from finhub_shared.supervision import Heartbeat
from finhub_shared.tracing import current_trace_context

log = structlog.get_logger(__name__)


class OutboxMessageMixin:
    """Columns of a service's `outbox_messages` table; the service declares it on its own Base."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), index=True)
    exchange: Mapped[str] = mapped_column(String(255), server_default=EXCHANGE)
    routing_key: Mapped[str] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    # The W3C trace context of the change that wrote the row, which its message carries on.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Index, ...]:
        # The relay reads unpublished rows in (attempts, id) order: a partial index in that
        # order makes it an ordered scan of the backlog alone, however many published rows the
        # table holds and however long the backlog grows.
        return (
            Index(
                "ix_outbox_messages_unpublished",
                "attempts",
                "id",
                postgresql_where=text("published_at IS NULL"),
            ),
        )


# id, message_id, exchange, routing_key, body, correlation_id, trace_context
_PendingRow = Row[int, str, str, str, bytes, str | None, dict[str, str] | None]


class ConfirmingPublisher(Protocol):
    """What the relay needs from the bus publisher."""

    async def publish(
        self,
        routing_key: str,
        body: bytes,
        *,
        message_id: str,
        correlation_id: str | None = None,
        exchange: str = EXCHANGE,
        trace_context: Mapping[str, str] | None = None,
    ) -> None: ...


async def enqueue(
    session: AsyncSession, outbox_model: type[OutboxMessageMixin], envelope: EventEnvelope
) -> None:
    """Add `envelope` to the outbox; it is published only if the surrounding transaction commits."""
    row = {
        "message_id": envelope.id,
        "exchange": EXCHANGE,
        "routing_key": envelope.routing_key,
        "body": envelope.model_dump_json().encode(),
        "correlation_id": current_correlation_id(),
        "trace_context": current_trace_context(),
    }
    await session.execute(_enqueue_statement(table_of(outbox_model)), row)


@cache
def _enqueue_statement(table: Table) -> Insert:
    # Built once, its values bound at execution (as the inbox's claim): the ORM's bulk-insert
    # path rebuilt the statement and its cache key for every message.
    return insert(table)


class OutboxRelay:
    """Publishes unpublished outbox rows in id order, with confirms, and marks them sent."""

    def __init__(
        self,
        database: Database,
        outbox_model: type[OutboxMessageMixin],
        publisher: ConfirmingPublisher,
        *,
        batch_size: int = 200,
        idle_seconds: float = 0.2,
        retry_seconds: float = 2.0,
    ) -> None:
        self._database = database
        self._model = outbox_model
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._retry_seconds = retry_seconds

    async def run(self, heartbeat: Heartbeat) -> None:
        """Relay until the process stops, beating after every batch; run it under a Supervisor,
        which restarts it after a database error. A broker outage only delays publishing."""
        log.info("outbox_relay_started")
        while not heartbeat.stopping.is_set():
            published, failed = await self.relay_batch()
            heartbeat.beat()
            if failed and not published:
                await heartbeat.pause(self._retry_seconds)
            elif published < self._batch_size:
                await heartbeat.pause(self._idle_seconds)
        log.info("outbox_relay_stopped")

    async def relay_batch(self) -> tuple[int, bool]:
        """Publish one batch; returns how many were published and whether a publish failed."""
        async with self._database.transaction() as session:
            rows = await self._lock_unpublished(session)
            results = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            published = [row for row, error in zip(rows, results, strict=True) if not error]
            for row, error in zip(rows, results, strict=True):
                if isinstance(error, BaseException):
                    await self._record_failure(session, row.id, error)
            if published:
                await session.execute(
                    update(self._model)
                    .where(self._model.id.in_([row.id for row in published]))
                    .values(published_at=utcnow())
                )
        metrics.OUTBOX_PUBLISHED.inc(len(published))
        return len(published), len(published) < len(rows)

    async def _lock_unpublished(self, session: AsyncSession) -> Sequence[_PendingRow]:
        # SKIP LOCKED lets several relays share the table without publishing a row twice at once.
        # Rows that failed before go last, so one that cannot be published holds up no other.
        model = self._model
        statement = (
            # Plain columns, not ORM objects: the relay is a hot loop and needs no identity map.
            select(
                model.id,
                model.message_id,
                model.exchange,
                model.routing_key,
                model.body,
                model.correlation_id,
                model.trace_context,
            )
            .where(model.published_at.is_(None))
            .order_by(model.attempts, model.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        return (await session.execute(statement)).all()

    async def _publish(self, row: _PendingRow) -> None:
        await self._publisher.publish(
            row.routing_key,
            row.body,
            message_id=row.message_id,
            correlation_id=row.correlation_id,
            exchange=row.exchange,
            trace_context=row.trace_context,
        )

    async def _record_failure(
        self, session: AsyncSession, row_id: int, error: BaseException
    ) -> None:
        log.warning("outbox_publish_failed", outbox_id=row_id, error=type(error).__name__)
        await session.execute(
            update(self._model)
            .where(self._model.id == row_id)
            .values(attempts=self._model.attempts + 1, last_error=type(error).__name__)
        )


async def record_backlog(database: Database, outbox_model: type[OutboxMessageMixin]) -> None:
    """Set the backlog gauges from the table itself: unpublished rows and the oldest one's age.

    Called on every scrape, so the numbers are today's even when the relay is not running.
    """
    async with database.sessions() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(outbox_model.created_at)).where(
                    outbox_model.published_at.is_(None)
                )
            )
        ).one()
    metrics.OUTBOX_BACKLOG.set(count)
    metrics.OUTBOX_OLDEST_AGE.set((utcnow() - oldest).total_seconds() if oldest else 0)


async def prune_published(
    database: Database, outbox_model: type[OutboxMessageMixin], older_than: timedelta
) -> int:
    """Delete rows published more than `older_than` ago; returns how many."""
    cutoff = utcnow() - older_than
    async with database.transaction() as session:
        result = await session.execute(
            delete(outbox_model).where(outbox_model.published_at < cutoff)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def vacuum(database: Database, outbox_model: type[OutboxMessageMixin]) -> None:
    """Reclaim the row versions the relay leaves behind and refresh the planner's statistics.

    Every publish turns a row into a dead version; until a vacuum, the relay's query walks them
    all. Autovacuum does this where it is on, but it is not everywhere (this machine has it
    off), and a queue table needs it far more often than autovacuum's defaults.
    """
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"VACUUM (ANALYZE) {outbox_model.__tablename__}"))
