"""Replaying stored events: each goes back into the outbox, and so to the bus, under its own id.

Consumers keep an inbox, so an event they already handled is recognised and skipped; a replay
only reaches the consumers that lost or never handled it.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, insert
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.correlation import current_correlation_id
from finhub_shared.errors import BadRequest, NotFound
from finhub_shared.events import routing_key
from webhook_gateway.admin.schemas import EventFilter, StoredEventDetail, StoredEventSummary
from webhook_gateway.database import OutboxMessage
from webhook_gateway.webhooks import repository
from webhook_gateway.webhooks.models import WebhookEvent
from webhook_gateway.webhooks.service import envelope_json

# A filter that matches more than this must be narrowed (or replayed in several calls).
MAX_REPLAY = 10_000


class EventNotFound(NotFound):
    code = "event_not_found"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"


class ReplayTooLarge(BadRequest):
    code = "replay_too_large"


async def get_event(session: AsyncSession, stored_id: uuid.UUID) -> WebhookEvent:
    """The stored event, or 404."""
    event = await repository.get(session, stored_id)
    if event is None:
        raise EventNotFound("No stored event has this id.")
    return event


async def summaries(
    session: AsyncSession, events: Sequence[WebhookEvent]
) -> list[StoredEventSummary]:
    """Each event as the operator sees it, with its delivery status."""
    delivery = await repository.deliveries(session, events)
    return [_summary(event, delivery[event.id]) for event in events]


async def detail(session: AsyncSession, event: WebhookEvent) -> StoredEventDetail:
    """One event with its headers and its body as received."""
    [summary] = await summaries(session, [event])
    return StoredEventDetail(
        **summary.model_dump(),
        headers=event.headers,
        body=event.raw_body.decode("utf-8", errors="replace"),
    )


def _summary(event: WebhookEvent, delivery: repository.Delivery) -> StoredEventSummary:
    return StoredEventSummary(
        id=event.id,
        source=event.source,
        event_id=event.event_id,
        event_type=event.event_type,
        status=delivery.status,
        company_id=event.company_id,
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        published_at=delivery.published_at,
    )


async def replay(session: AsyncSession, events: Sequence[WebhookEvent]) -> int:
    """Queue every event for publishing again; returns how many."""
    for event in events:
        await session.execute(
            insert(OutboxMessage).values(
                message_id=event.event_id,
                routing_key=routing_key(event.source, event.event_type),
                body=envelope_json(
                    source=event.source,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    occurred_at=event.occurred_at,
                    received_at=event.received_at,
                    company_id=event.company_id,
                    raw_body=event.raw_body,
                ),
                correlation_id=current_correlation_id(),
            )
        )
    return len(events)


def matching(filters: EventFilter) -> Select[WebhookEvent]:
    """The stored events the filter selects, newest first."""
    return repository.matching(
        source=filters.source,
        event_type=filters.type,
        status=filters.status,
        received_from=filters.received_from,
        received_to=filters.received_to,
    )


async def replay_matching(session: AsyncSession, filters: EventFilter) -> int:
    """Replay every event the filter selects (at most MAX_REPLAY at once)."""
    events = await repository.page(session, matching(filters), limit=MAX_REPLAY + 1)
    if len(events) > MAX_REPLAY:
        raise ReplayTooLarge(f"More than {MAX_REPLAY} events match; narrow the filter.")
    return await replay(session, events)


def encode_cursor(event: WebhookEvent) -> str:
    """An opaque cursor pointing after `event`."""
    raw = f"{event.received_at.isoformat()}|{event.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor points after; 400 if it was not made by `encode_cursor`."""
    try:
        received_at, stored_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(received_at), uuid.UUID(stored_id)
    except ValueError:
        raise InvalidCursor("The cursor is not valid.") from None
