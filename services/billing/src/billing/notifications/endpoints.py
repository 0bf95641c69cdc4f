"""Notifications: the list and marking one read (they reach the live stream through the live
service, `GET /api/live/stream`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from billing.notifications import repository, service
from billing.notifications.schemas import NotificationOut
from finhub_shared.auth import CurrentPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.events import utcnow
from finhub_shared.fields import MAX_BIGINT
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("")
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
