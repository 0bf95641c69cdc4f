"""Replaying stored events: each goes back into the outbox, and so to the bus, under its own id.

Consumers keep an inbox, so an event they already handled is recognised and skipped; a replay
only reaches the consumers that lost or never handled it. The queues that had given up on it
(dead-lettered, dropped) show it as replayed until they report again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.correlation import current_correlation_id
from finhub_shared.events import routing_key
from finhub_shared.pagination import KeysetCursor
from webhook_gateway.admin.errors import (
    EventErased,
    EventIgnored,
    EventNotFound,
    InvalidDateRange,
    ReplayTooLarge,
)
from webhook_gateway.admin.schemas import (
    EventFilter,
    EventPage,
    StoredEventDetail,
    StoredEventSummary,
)
from webhook_gateway.erasure.repository import ERASED
from webhook_gateway.fates import repository as fates_repository
from webhook_gateway.fates import service as fates
from webhook_gateway.webhooks import repository
from webhook_gateway.webhooks.models import WebhookEvent
from webhook_gateway.webhooks.service import envelope_json

# A filter that matches more than this must be narrowed (or replayed in several calls).
MAX_REPLAY = 10_000
# Events loaded and queued at a time: bodies reach a megabyte, so never all of them at once.
REPLAY_BATCH = 500
# What a cursor the listing did not write is told (400 invalid_cursor).
INVALID_CURSOR = "The cursor is not valid."


async def get_event(session: AsyncSession, stored_id: uuid.UUID) -> WebhookEvent:
    """The stored event, or 404."""
    event = await repository.get(session, stored_id)
    if event is None:
        raise EventNotFound("No stored event has this id.")
    return event


async def list_events(
    session: AsyncSession, filters: EventFilter, cursor: str | None, limit: int
) -> EventPage:
    """A page of the events the filter selects, newest first, and the cursor of the next one."""
    after = KeysetCursor.decode(cursor, invalid=INVALID_CURSOR) if cursor is not None else None
    events = await repository.page(session, matching(filters), limit=limit + 1, after=after)
    page, next_cursor = events[:limit], None
    if len(events) > limit:
        next_cursor = KeysetCursor(date=page[-1].received_at, id=page[-1].id).encode()
    return EventPage(items=await summaries(session, page), next_cursor=next_cursor)


async def summaries(
    session: AsyncSession, events: Sequence[WebhookEvent]
) -> list[StoredEventSummary]:
    """Each event as the operator sees it, with its delivery status."""
    delivery = await repository.deliveries(session, events)
    return [_summary(event, delivery[event.id]) for event in events]


async def detail(session: AsyncSession, event: WebhookEvent) -> StoredEventDetail:
    """One event with its headers, its body as received and its fate on each queue."""
    [summary] = await summaries(session, [event])
    return StoredEventDetail(
        **summary.model_dump(),
        headers=event.headers,
        body=event.raw_body.decode("utf-8", errors="replace"),
        api_version=event.api_version,
        fates=await fates.fates(session, event),
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
    await repository.add_to_outbox(
        session,
        [
            {
                "message_id": event.event_id,
                "routing_key": routing_key(event.source, event.event_type),
                "body": envelope_json(
                    source=event.source,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    occurred_at=event.occurred_at,
                    received_at=event.received_at,
                    company_id=event.company_id,
                    raw_body=event.raw_body,
                ),
                "correlation_id": current_correlation_id(),
            }
            for event in events
        ],
    )
    await fates.replayed_by_operator(session, events)
    return len(events)


async def replay_one(session: AsyncSession, event: WebhookEvent) -> int:
    """Queue one event again; 409 if its type is one the gateway does not route to the bus."""
    if event.status == "ignored":
        raise EventIgnored(
            "This event's type is not routed to the bus; there is nothing to replay."
        )
    if event.status == ERASED:
        raise EventErased("This event's body was erased with its company; it cannot be replayed.")
    return await replay(session, [event])


def matching(filters: EventFilter) -> Select[WebhookEvent]:
    """The stored events the filter selects; 400 if the range is reversed."""
    start, end = filters.received_from, filters.received_to
    if start and end and start > end:
        raise InvalidDateRange("received_from is after received_to.")
    statement = repository.matching(
        source=filters.source,
        event_type=filters.type,
        status=filters.status,
        received_from=filters.received_from,
        received_to=filters.received_to,
    )
    if filters.fate is not None:
        statement = statement.where(fates_repository.in_state(filters.fate))
    return statement


async def replay_matching(session: AsyncSession, filters: EventFilter) -> int:
    """Replay every routed event the filter selects (at most MAX_REPLAY at once, in batches)."""
    statement = matching(filters).where(WebhookEvent.status == "routed")
    if await repository.count(session, statement, at_most=MAX_REPLAY + 1) > MAX_REPLAY:
        raise ReplayTooLarge(f"More than {MAX_REPLAY} events match; narrow the filter.")
    replayed = 0
    after = None
    while events := await repository.page(session, statement, limit=REPLAY_BATCH, after=after):
        replayed += await replay(session, events)
        after = KeysetCursor(date=events[-1].received_at, id=events[-1].id)
    return replayed
