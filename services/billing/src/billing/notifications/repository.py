"""Queries of notifications."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Select, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts.models import ACTIVE_COMPANY, Company
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


async def add_if_active(
    session: AsyncSession,
    company_id: UUID,
    *,
    kind: str,
    title: str,
    message: str,
    data: dict[str, Any],
) -> Notification | None:
    """The company's new notification; None, and nothing added, if the company is no longer
    active (one statement checks and inserts)."""
    values = {"kind": kind, "title": title, "message": message, "data": data}
    columns = Notification.__table__.c
    row = select(
        Company.id, *(literal(value, columns[name].type) for name, value in values.items())
    ).where(Company.id == company_id, Company.status == ACTIVE_COMPANY)
    statement = insert(Notification).from_select(["company_id", *values], row)
    return (await session.scalars(statement.returning(Notification))).one_or_none()
