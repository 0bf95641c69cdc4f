"""The inbox: each consumed event id, written in the same transaction as the event's effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from typing import Generic, Literal, Protocol, TypeVar

import structlog
from sqlalchemy import DateTime, Insert, Select, String, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from finhub_shared.bus.outcomes import Skipped
from finhub_shared.db import Database, table_of
from finhub_shared.events import EventEnvelope

log = structlog.get_logger(__name__)


class HandlerRuntime(Protocol):
    """What a dispatcher needs of the runtime it hands its handlers: the worker's database."""

    @property
    def database(self) -> Database: ...


RuntimeT = TypeVar("RuntimeT", bound=HandlerRuntime)
HandlerT = TypeVar("HandlerT")

EventHandler = Callable[[AsyncSession, EventEnvelope, RuntimeT], Awaitable[None]]
Outcome = Literal["handled", "ignored"]
# What a fetching handler stores, applied in the transaction that writes the inbox row.
Effect = Callable[[AsyncSession], Awaitable[None]]
# Reads in short transactions of its own (on the runtime's database) and calls a provider with
# none open; returns the effect to store, or None when there is nothing to store.
FetchingHandler = Callable[[RuntimeT, EventEnvelope], Awaitable[Effect | None]]


class InboxEventMixin:
    """Columns of a service's `inbox_events` table; the service declares it on its own Base."""

    __tablename__ = "inbox_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(20))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Registry(Generic[HandlerT]):
    """Event type → handler, filled by each domain's `handlers.py` with `@registry.on(...)`."""

    def __init__(self) -> None:
        self._handlers: dict[str, HandlerT] = {}

    def on(self, *event_types: str) -> Callable[[HandlerT], HandlerT]:
        """Register the decorated function for these event types (one handler per type)."""

        def register(handler: HandlerT) -> HandlerT:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise ValueError(f"two handlers registered for {event_type}")
                self._handlers[event_type] = handler
            return handler

        return register

    def handler_for(self, event_type: str) -> HandlerT | None:
        """The handler of this event type, or None when we do not act on it."""
        return self._handlers.get(event_type)

    @property
    def event_types(self) -> frozenset[str]:
        """Every event type with a handler."""
        return frozenset(self._handlers)


class HandlerRegistry(Registry[EventHandler[RuntimeT]]):
    """Handlers that run inside the inbox's transaction (they call no provider)."""


class FetchingRegistry(Registry[FetchingHandler[RuntimeT]]):
    """Handlers that call a provider: no transaction is open during the call, and the effect
    they return is stored with the inbox row (see `fetching_dispatcher`)."""


async def claim(
    session: AsyncSession,
    inbox_model: type[InboxEventMixin],
    consumer: str,
    envelope: EventEnvelope,
    outcome: Outcome,
) -> bool:
    """Record the event as handled by `consumer`; False when it already was (a redelivery)."""
    row = {
        "consumer": consumer,
        "event_id": envelope.id,
        "source": envelope.source,
        "event_type": envelope.type,
        "outcome": outcome,
    }
    result = await session.execute(_claim_statement(table_of(inbox_model)), row)
    return result.scalar_one_or_none() is not None


@cache
def _claim_statement(table: Table) -> Insert:
    # Built once, with its values bound at execution: building the statement and its cache key
    # for every event, through the ORM's bulk-insert path, was half of the inbox's CPU per event.
    return insert(table).on_conflict_do_nothing().returning(table.c.event_id)


def inbox_dispatcher(
    runtime: RuntimeT,
    inbox_model: type[InboxEventMixin],
    consumer: str,
    registry: HandlerRegistry[RuntimeT],
) -> Callable[[EventEnvelope], Awaitable[Skipped | None]]:
    """A bus message handler: one transaction holding the inbox row and the handler's effect;
    it returns why it did nothing, if it did nothing."""
    database = runtime.database

    async def dispatch(envelope: EventEnvelope) -> Skipped | None:
        handler = registry.handler_for(envelope.type)
        outcome: Outcome = "handled" if handler else "ignored"
        async with database.transaction() as session:
            if not await claim(session, inbox_model, consumer, envelope, outcome):
                log.info("event_already_handled")
                return "duplicate"
            if handler is None:
                log.info("event_ignored")
                return "no_handler"
            await handler(session, envelope, runtime)
        log.info("event_handled")
        return None

    return dispatch


def fetching_dispatcher(
    runtime: RuntimeT,
    inbox_model: type[InboxEventMixin],
    consumer: str,
    registry: FetchingRegistry[RuntimeT],
) -> Callable[[EventEnvelope], Awaitable[Skipped | None]]:
    """A bus message handler for events whose handling calls a provider: skip what the inbox
    holds, fetch with no transaction open, then the inbox row and the effect in one transaction.
    A redelivery after a crash fetches and applies again; one after the commit does nothing."""
    database = runtime.database

    async def dispatch(envelope: EventEnvelope) -> Skipped | None:
        if await _already_claimed(database, inbox_model, consumer, envelope.id):
            log.info("event_already_handled")
            return "duplicate"
        handler = registry.handler_for(envelope.type)
        outcome: Outcome = "handled" if handler else "ignored"
        effect = await handler(runtime, envelope) if handler else None
        async with database.transaction() as session:
            if not await claim(session, inbox_model, consumer, envelope, outcome):
                log.info("event_already_handled")
                return "duplicate"
            if effect is not None:
                await effect(session)
        log.info("event_handled" if handler else "event_ignored")
        return None if handler else "no_handler"

    return dispatch


async def _already_claimed(
    database: Database, inbox_model: type[InboxEventMixin], consumer: str, event_id: str
) -> bool:
    statement = _claimed_statement(table_of(inbox_model))
    async with database.single_read() as session:
        found = await session.execute(statement, {"consumer": consumer, "event_id": event_id})
        return found.first() is not None


@cache
def _claimed_statement(table: Table) -> Select[tuple[str]]:
    # Built once, as the claim's.
    return select(table.c.event_id).where(
        table.c.consumer == bindparam("consumer"), table.c.event_id == bindparam("event_id")
    )
