"""Queries of notifications."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications.models import Notification
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def get_for(
    session: AsyncSession, principal: Principal, notification_id: int
) -> Notification:
    """The caller's notification, or 404."""
    return await queries.get_owned(
        session, Notification, notification_id, principal, "notification"
    )


def newest_first(principal: Principal, unread_only: bool) -> Select[Notification]:
    """The caller's notifications, newest first."""
    statement = scoped(select(Notification), Notification, principal)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return queries.newest_first(statement, Notification.id)
