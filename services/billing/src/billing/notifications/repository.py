"""Queries of notifications."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications.models import Notification
from finhub_shared.auth import Principal, scoped


async def get(session: AsyncSession, notification_id: int) -> Notification | None:
    """A notification by id, whoever it belongs to (callers check ownership)."""
    return await session.get(Notification, notification_id)


def newest_first(principal: Principal, unread_only: bool) -> Select[Notification]:
    """The caller's notifications, newest first."""
    statement = scoped(select(Notification), Notification, principal)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return statement.order_by(Notification.id.desc())


async def last_id(session: AsyncSession, principal: Principal) -> int:
    """The id of the caller's newest notification, 0 when there is none."""
    statement = scoped(select(func.max(Notification.id)), Notification, principal)
    return int((await session.execute(statement)).scalar_one() or 0)


async def after(
    session: AsyncSession, principal: Principal, after_id: int, limit: int = 100
) -> Sequence[Notification]:
    """The caller's notifications newer than `after_id`, oldest first (the order to stream them)."""
    statement = (
        scoped(select(Notification), Notification, principal)
        .where(Notification.id > after_id)
        .order_by(Notification.id)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()
