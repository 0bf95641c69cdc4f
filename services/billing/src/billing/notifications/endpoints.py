"""Notifications: the list, marking one read, and the live stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import StreamingResponse

from billing.dependencies import Clock, DatabaseDep, Settings
from billing.notifications import repository, service
from billing.notifications.errors import TooManyStreams
from billing.notifications.schemas import NotificationOut
from billing.notifications.stream import LiveStream, notification_events, open_stream
from finhub_shared.auth import CurrentPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import error_responses
from finhub_shared.events import utcnow
from finhub_shared.fields import MAX_BIGINT
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("/")
async def list_notifications(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery, unread_only: bool = False
) -> Page[NotificationOut]:
    """The company's notifications, newest first."""
    statement = repository.newest_first(principal, unread_only)
    return await page_of(session, statement, page, NotificationOut)


@router.post("/{notification_id}/read")
async def mark_read(
    session: DbSession,
    principal: WriterPrincipal,
    notification_id: Annotated[int, Path(ge=1, le=MAX_BIGINT)],
) -> NotificationOut:
    """Mark a notification as read."""
    notification = await service.mark_read(session, principal, notification_id, utcnow())
    return NotificationOut.model_validate(notification)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **error_responses(TooManyStreams),
    },
)
async def stream_notifications(
    request: Request,
    principal: CurrentPrincipal,
    database: DatabaseDep,
    settings: Settings,
    clock: Clock,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_BIGINT)] = None,
) -> StreamingResponse:
    """New notifications as Server-Sent Events; `Last-Event-ID` resumes after a reconnect. The
    stream ends (an `end` event) when the access token expires or its session is logged out."""
    if last_event_id is None:
        async with database.sessions() as session:
            last_event_id = await repository.last_id(session, principal)
    poll_seconds = settings.notification_poll_seconds
    stream_id = await open_stream(
        database,
        principal,
        limit=settings.max_streams_per_user,
        poll_seconds=poll_seconds,
        now=clock(),
    )
    live = LiveStream(database, principal, stream_id, poll_seconds, clock, request.is_disconnected)
    events = notification_events(live, last_event_id)
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
