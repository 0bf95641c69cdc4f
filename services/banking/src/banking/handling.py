"""Pluggy's events handled with no database transaction open while Pluggy is called.

A handler reads what it needs in short transactions of its own, calls Pluggy with none open,
and returns its effect. The effect is applied in one transaction with the event's inbox row:
a redelivery after a crash fetches and applies it again, one after the commit does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.database import InboxEvent
from finhub_shared.bus import MessageHandler
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope
from finhub_shared.inbox import Outcome, claim

log = structlog.get_logger(__name__)

Effect = Callable[[AsyncSession], Awaitable[None]]
# Reads and Pluggy calls; the effect to store, or None when there is nothing to store.
PluggyEventHandler = Callable[[Database, EventEnvelope], Awaitable[Effect | None]]


class PluggyEventRegistry:
    """Event type → handler, filled by each domain's `handlers.py` with `@registry.on(...)`."""

    def __init__(self) -> None:
        self._handlers: dict[str, PluggyEventHandler] = {}

    def on(self, *event_types: str) -> Callable[[PluggyEventHandler], PluggyEventHandler]:
        """Register the decorated function for these event types (one handler per type)."""

        def register(handler: PluggyEventHandler) -> PluggyEventHandler:
            for event_type in event_types:
                if event_type in self._handlers:
                    raise ValueError(f"two handlers registered for {event_type}")
                self._handlers[event_type] = handler
            return handler

        return register

    def handler_for(self, event_type: str) -> PluggyEventHandler | None:
        """The handler of this event type, or None when we do not act on it."""
        return self._handlers.get(event_type)


def pluggy_event_runner(
    registry: PluggyEventRegistry, consumer: str
) -> Callable[[Database], MessageHandler]:
    """An own-transactions handler for the queue: skip what the inbox holds, fetch with no
    transaction open, then the inbox row and the effect in one transaction."""

    def runner(database: Database) -> MessageHandler:
        async def handle(envelope: EventEnvelope) -> None:
            if await _already_handled(database, consumer, envelope.id):
                log.info("event_already_handled")
                return
            handler = registry.handler_for(envelope.type)
            outcome: Outcome = "handled" if handler else "ignored"
            effect = await handler(database, envelope) if handler else None
            async with database.transaction() as session:
                if not await claim(session, InboxEvent, consumer, envelope, outcome):
                    log.info("event_already_handled")
                    return
                if effect is not None:
                    await effect(session)
            log.info("event_handled" if handler else "event_ignored")

        return handle

    return runner


async def _already_handled(database: Database, consumer: str, event_id: str) -> bool:
    async with database.transaction() as session:
        return await session.get(InboxEvent, (consumer, event_id)) is not None
