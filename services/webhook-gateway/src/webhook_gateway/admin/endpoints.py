"""GET /admin/events, GET /admin/events/{id}, and replays; all need the ADMIN_TOKEN bearer."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from finhub_shared.db import DbSession
from finhub_shared.errors import InvalidCursor, error_responses
from webhook_gateway.admin import errors, service
from webhook_gateway.admin.dependencies import require_admin
from webhook_gateway.admin.schemas import (
    EventFilter,
    EventPage,
    EventTypeFilter,
    Instant,
    ReplayResult,
    StoredEventDetail,
)
from webhook_gateway.fates.schemas import FateState

router = APIRouter(
    prefix="/admin/events",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=error_responses(errors.AdminTokenRequired),
)


@router.get("", responses=error_responses(InvalidCursor, errors.InvalidDateRange))
async def list_events(
    session: DbSession,
    source: Literal["stripe", "pluggy"] | None = None,
    event_type: Annotated[EventTypeFilter | None, Query(alias="type")] = None,
    status: Literal["queued", "published", "ignored"] | None = None,
    received_from: Instant | None = None,
    received_to: Instant | None = None,
    fate: FateState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> EventPage:
    """Stored events, newest first, filtered and paginated."""
    filters = EventFilter(
        source=source,
        type=event_type,
        status=status,
        received_from=received_from,
        received_to=received_to,
        fate=fate,
    )
    return await service.list_events(session, filters, cursor, limit)


@router.get("/{stored_id}", responses=error_responses(errors.EventNotFound))
async def get_event(session: DbSession, stored_id: uuid.UUID) -> StoredEventDetail:
    """One stored event with its headers, its body as received, and its fate on each queue."""
    return await service.detail(session, await service.get_event(session, stored_id))


@router.post(
    "/{stored_id}/replay",
    responses=error_responses(errors.EventNotFound, errors.EventIgnored, errors.EventErased),
)
async def replay_event(session: DbSession, stored_id: uuid.UUID) -> ReplayResult:
    """Publish one stored event to the bus again (not one of a type the gateway ignores)."""
    event = await service.get_event(session, stored_id)
    return ReplayResult(replayed=await service.replay_one(session, event))


@router.post("/replay", responses=error_responses(errors.ReplayTooLarge, errors.InvalidDateRange))
async def replay_events(session: DbSession, filters: EventFilter) -> ReplayResult:
    """Publish every stored event matching the filter to the bus again, ignored ones aside."""
    return ReplayResult(replayed=await service.replay_matching(session, filters))
