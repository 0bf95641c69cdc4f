"""Queries of the monthly usage table."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.usage.models import MonthlyUsage


async def add_transactions(
    session: AsyncSession, company_id: uuid.UUID, month: date, count: int
) -> int:
    """Add `count` to the month's total, atomically; returns the new total."""
    new_row = insert(MonthlyUsage).values(company_id=company_id, month=month, transactions=count)
    statement = new_row.on_conflict_do_update(
        index_elements=[MonthlyUsage.company_id, MonthlyUsage.month],
        set_={"transactions": MonthlyUsage.transactions + new_row.excluded.transactions},
    ).returning(MonthlyUsage.transactions)
    return int((await session.execute(statement)).scalar_one())


async def get(session: AsyncSession, company_id: uuid.UUID, month: date) -> MonthlyUsage | None:
    statement = (
        select(MonthlyUsage)
        .where(MonthlyUsage.company_id == company_id, MonthlyUsage.month == month)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def locked_months(
    session: AsyncSession, company_id: uuid.UUID, months: Collection[date]
) -> list[MonthlyUsage]:
    """These months of the company, oldest first, locked as a sync counting into them locks
    them (in the same order, so the two never wait on each other in a cycle)."""
    statement = (
        select(MonthlyUsage)
        .where(MonthlyUsage.company_id == company_id, MonthlyUsage.month.in_(months))
        .order_by(MonthlyUsage.month)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(statement))
