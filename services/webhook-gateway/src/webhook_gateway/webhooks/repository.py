"""Every query on stored webhook events outside the hot path (relay, retention, admin)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.events import utcnow
from webhook_gateway.webhooks.models import WebhookEvent


async def mark_published(session: AsyncSession, event_ids: list[str]) -> None:
    """Record that the broker confirmed these events (the outbox relay calls this)."""
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.event_id.in_(event_ids), WebhookEvent.status == "queued")
        .values(status="published", published_at=utcnow())
    )


async def delete_received_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete events received before `cutoff`; returns how many."""
    result = await session.execute(delete(WebhookEvent).where(WebhookEvent.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


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
    """Events matching the filters that are given, newest first."""
    statement = select(WebhookEvent).order_by(
        WebhookEvent.received_at.desc(), WebhookEvent.id.desc()
    )
    if source:
        statement = statement.where(WebhookEvent.source == source)
    if event_type:
        statement = statement.where(WebhookEvent.event_type == event_type)
    if status:
        statement = statement.where(WebhookEvent.status == status)
    if received_from:
        statement = statement.where(WebhookEvent.received_at >= received_from)
    if received_to:
        statement = statement.where(WebhookEvent.received_at < received_to)
    return statement


async def page(
    session: AsyncSession,
    statement: Select[WebhookEvent],
    *,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[WebhookEvent]:
    """Up to `limit` events of `statement`, after the cursor `before` (received_at, id)."""
    if before is not None:
        received_at, stored_id = before
        statement = statement.where(
            (WebhookEvent.received_at < received_at)
            | ((WebhookEvent.received_at == received_at) & (WebhookEvent.id < stored_id))
        )
    return (await session.scalars(statement.limit(limit))).all()
