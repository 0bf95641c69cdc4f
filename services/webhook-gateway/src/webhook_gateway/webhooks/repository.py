"""Every query on stored webhook events outside the hot path (relay, retention, admin)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, delete, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared import queries
from finhub_shared.pagination import KeysetCursor, keyset_page
from webhook_gateway.database import OutboxMessage
from webhook_gateway.webhooks.models import WebhookEvent

DeliveryStatus = Literal["queued", "published", "ignored"]

# A routed event whose outbox row (or one of its replays' rows) the relay has not published yet.
_WAITING_IN_OUTBOX = exists().where(
    OutboxMessage.message_id == WebhookEvent.event_id, OutboxMessage.published_at.is_(None)
)


@dataclass(frozen=True)
class Delivery:
    """Where a stored event stands on its way to the bus."""

    status: DeliveryStatus
    published_at: datetime | None


async def deliveries(
    session: AsyncSession, events: Sequence[WebhookEvent]
) -> dict[uuid.UUID, Delivery]:
    """The delivery of each event, from the outbox rows that carry it (one query)."""
    routed = [event.event_id for event in events if event.status == "routed"]
    statement = (
        select(
            OutboxMessage.message_id,
            func.bool_or(OutboxMessage.published_at.is_(None)),
            func.max(OutboxMessage.published_at),
        )
        .where(OutboxMessage.message_id.in_(routed))
        .group_by(OutboxMessage.message_id)
    )
    outbox = {row[0]: (row[1], row[2]) for row in await session.execute(statement)}
    return {event.id: _delivery(event, outbox.get(event.event_id)) for event in events}


def _delivery(event: WebhookEvent, outbox: tuple[bool, datetime | None] | None) -> Delivery:
    if event.status == "ignored":
        return Delivery("ignored", None)
    if outbox is None:  # published long ago: its outbox rows were pruned
        return Delivery("published", None)
    waiting, published_at = outbox
    return Delivery("queued", None) if waiting else Delivery("published", published_at)


async def delete_received_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete events received before `cutoff`; returns how many."""
    result = await session.execute(delete(WebhookEvent).where(WebhookEvent.received_at < cutoff))
    return queries.rows_affected(result)


async def get(session: AsyncSession, stored_id: uuid.UUID) -> WebhookEvent | None:
    """One stored event by its own id."""
    return await session.get(WebhookEvent, stored_id)


async def find(session: AsyncSession, reference: str) -> WebhookEvent | None:
    """A stored event by its own id or by the provider's event id (evt_..., a Pluggy eventId)."""
    try:
        return await get(session, uuid.UUID(reference))
    except ValueError:
        pass
    statement = select(WebhookEvent).where(WebhookEvent.event_id == reference).limit(1)
    return (await session.scalars(statement)).one_or_none()


def matching(
    *,
    source: str | None = None,
    event_type: str | None = None,
    status: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> Select[WebhookEvent]:
    """Events matching the filters that are given (in no order: `page` orders them)."""
    statement = select(WebhookEvent)
    if source:
        statement = statement.where(WebhookEvent.source == source)
    if event_type:
        statement = statement.where(WebhookEvent.event_type == event_type)
    if status == "ignored":
        statement = statement.where(WebhookEvent.status == "ignored")
    elif status == "queued":
        statement = statement.where(WebhookEvent.status == "routed", _WAITING_IN_OUTBOX)
    elif status == "published":
        statement = statement.where(WebhookEvent.status == "routed", ~_WAITING_IN_OUTBOX)
    if received_from:
        statement = statement.where(WebhookEvent.received_at >= received_from)
    if received_to:
        statement = statement.where(WebhookEvent.received_at < received_to)
    return statement


async def count(session: AsyncSession, statement: Select[WebhookEvent], *, at_most: int) -> int:
    """How many events `statement` selects, counted no further than `at_most` (no body loaded)."""
    ids = statement.with_only_columns(WebhookEvent.id).limit(at_most).subquery()
    return int(await session.scalar(select(func.count()).select_from(ids)) or 0)


async def page(
    session: AsyncSession,
    statement: Select[WebhookEvent],
    *,
    limit: int,
    after: KeysetCursor | None = None,
) -> Sequence[WebhookEvent]:
    """Up to `limit` events of `statement`, newest first, past the cursor `after`."""
    page = keyset_page(statement, WebhookEvent.received_at, WebhookEvent.id, after, limit)
    return (await session.scalars(page)).all()


async def add_to_outbox(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Queue these messages (message_id, routing_key, body, correlation_id) for the relay."""
    if rows:
        await session.execute(insert(OutboxMessage), rows)
