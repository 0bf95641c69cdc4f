"""Queries of dunning schedules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.dunning.models import DunningSchedule
from finhub_shared import queries

ACTIVE = "active"


async def get(session: AsyncSession, schedule_id: UUID) -> DunningSchedule | None:
    """A schedule as it is now."""
    return await session.get(DunningSchedule, schedule_id, populate_existing=True)


async def for_invoice(session: AsyncSession, stripe_invoice_id: str) -> DunningSchedule | None:
    """The schedule started by this invoice's failure, if any."""
    statement = select(DunningSchedule).where(
        DunningSchedule.stripe_invoice_id == stripe_invoice_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def active_for_company(session: AsyncSession, company_id: UUID) -> Sequence[DunningSchedule]:
    """The company's running schedules."""
    statement = select(DunningSchedule).where(
        DunningSchedule.company_id == company_id, DunningSchedule.status == ACTIVE
    )
    return (await session.execute(statement)).scalars().all()


async def due_companies(session: AsyncSession, now: datetime, limit: int) -> Sequence[UUID]:
    """Companies with a schedule whose next step is due."""
    statement = (
        select(DunningSchedule.company_id)
        .where(DunningSchedule.status == ACTIVE, DunningSchedule.next_run_at <= now)
        .order_by(DunningSchedule.next_run_at)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[DunningSchedule]:
    """The company's newest schedules, running or ended."""
    statement = queries.newest_first(
        select(DunningSchedule).where(DunningSchedule.company_id == company_id),
        DunningSchedule.started_at,
        DunningSchedule.id,
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
