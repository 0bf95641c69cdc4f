"""Notifying a company's users: stored in the transaction of the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications import repository
from billing.notifications.models import Notification
from finhub_shared.auth import Principal


async def notify(
    session: AsyncSession,
    company_id: UUID,
    kind: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Store a notification; the stream delivers it once the transaction commits."""
    notification = Notification(
        company_id=company_id, kind=kind, title=title, message=message, data=data or {}
    )
    session.add(notification)
    await session.flush()
    return notification


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: int, now: datetime
) -> Notification:
    """Mark one of the caller's notifications as read (idempotent)."""
    owned = await repository.get_for(session, principal, notification_id)
    if owned.read_at is None:
        owned.read_at = now
        await session.flush()
    return owned
