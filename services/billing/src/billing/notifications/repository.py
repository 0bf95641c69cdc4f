"""Queries of notifications and of the streams open on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications.models import Notification, NotificationStream
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


async def live_streams(session: AsyncSession, user_id: UUID, seen_since: datetime) -> int:
    """How many streams the user holds that beat since `seen_since`; staler ones are dropped."""
    await session.execute(
        delete(NotificationStream).where(
            NotificationStream.user_id == user_id, NotificationStream.seen_at < seen_since
        )
    )
    statement = select(func.count()).where(NotificationStream.user_id == user_id)
    return int((await session.execute(statement)).scalar_one())


async def add_stream(session: AsyncSession, user_id: UUID, now: datetime) -> UUID:
    """Count a newly opened stream of the user; its id."""
    stream = NotificationStream(user_id=user_id, opened_at=now, seen_at=now)
    session.add(stream)
    await session.flush()
    return stream.id


async def beat_stream(session: AsyncSession, stream_id: UUID, now: datetime) -> bool:
    """Mark the stream seen now; False if it is no longer counted (dropped as stale)."""
    statement = (
        update(NotificationStream)
        .where(NotificationStream.id == stream_id)
        .values(seen_at=now)
        .returning(NotificationStream.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def close_stream(session: AsyncSession, stream_id: UUID) -> None:
    """Stop counting a stream that ended."""
    await session.execute(delete(NotificationStream).where(NotificationStream.id == stream_id))
