"""Queries of data exports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.exports.models import EXPIRED, PENDING, READY, DataExport
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


def newest_first(principal: Principal) -> Select[DataExport]:
    """The caller's company's exports, newest first."""
    statement = scoped(select(DataExport), DataExport, principal)
    return queries.newest_first(statement, DataExport.requested_at, DataExport.id)


async def pending_of(session: AsyncSession, company_id: UUID) -> DataExport | None:
    """The company's export under way, if any."""
    statement = select(DataExport).where(
        DataExport.company_id == company_id, DataExport.status == PENDING
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def for_update(session: AsyncSession, export_id: UUID) -> DataExport | None:
    """An export, locked until the transaction ends."""
    return await queries.get_for_update(session, DataExport, export_id)


async def archive_of(session: AsyncSession, export_id: UUID) -> bytes | None:
    """The zip of an export (None once deleted)."""
    statement = select(DataExport.archive).where(DataExport.id == export_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def pending_since(session: AsyncSession, before: datetime, limit: int) -> Sequence[UUID]:
    """Exports still waiting for banking that were asked for before `before`, oldest first."""
    statement = (
        select(DataExport.id)
        .where(DataExport.status == PENDING, DataExport.requested_at <= before)
        .order_by(DataExport.requested_at)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def delete_expired_archives(session: AsyncSession, now: datetime) -> int:
    """Delete the archives kept past their expiry (the export stays, marked expired); how many."""
    result = await session.execute(
        update(DataExport)
        .where(DataExport.status == READY, DataExport.expires_at <= now)
        .values(status=EXPIRED, archive=None)
    )
    return queries.rows_affected(result)
