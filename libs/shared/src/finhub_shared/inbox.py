"""The inbox: each consumed event id, written in the same transaction as the event's effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

import structlog
from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope

log = structlog.get_logger(__name__)

EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
Outcome = Literal["handled", "ignored"]


class InboxEventMixin:
    """Columns of a service's `inbox_events` table; the service declares it on its own Base."""

    __tablename__ = "inbox_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(20))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HandlerRegistry:
    """Event type → handler, filled by each domain's `handlers.py` with `@registry.on(...)`."""

    def __init__(self) -> None:
        self._handlers: dict[str, EventHandler] = {}

    def on(self, *event_types: str) -> Callable[[EventHandler], EventHandler]:
        """Register the decorated function for these event types (one handler per type)."""

        def register(handler: EventHandler) -> EventHandler:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise ValueError(f"two handlers registered for {event_type}")
                self._handlers[event_type] = handler
            return handler

        return register

    def handler_for(self, event_type: str) -> EventHandler | None:
        """The handler of this event type, or None when we do not act on it."""
        return self._handlers.get(event_type)

    @property
    def event_types(self) -> frozenset[str]:
        """Every event type with a handler."""
        return frozenset(self._handlers)


async def claim(
    session: AsyncSession,
    inbox_model: type[InboxEventMixin],
    consumer: str,
    envelope: EventEnvelope,
    outcome: Outcome,
) -> bool:
    """Record the event as handled by `consumer`; False when it already was (a redelivery)."""
    statement = (
        insert(inbox_model)
        .values(
            consumer=consumer,
            event_id=envelope.id,
            source=envelope.source,
            event_type=envelope.type,
            outcome=outcome,
        )
        .on_conflict_do_nothing()
        .returning(inbox_model.event_id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


def inbox_dispatcher(
    database: Database,
    inbox_model: type[InboxEventMixin],
    consumer: str,
    registry: HandlerRegistry,
) -> Callable[[EventEnvelope], Awaitable[None]]:
    """A bus message handler: one transaction holding the inbox row and the handler's effect."""

    async def dispatch(envelope: EventEnvelope) -> None:
        handler = registry.handler_for(envelope.type)
        outcome: Outcome = "handled" if handler else "ignored"
        async with database.transaction() as session:
            if not await claim(session, inbox_model, consumer, envelope, outcome):
                log.info("event_already_handled")
                return
            if handler is None:
                log.info("event_ignored")
                return
            await handler(session, envelope)
        log.info("event_handled")

    return dispatch
