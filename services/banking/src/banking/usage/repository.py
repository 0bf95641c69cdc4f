"""Queries of the monthly usage table."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.usage.models import MonthlyUsage


async def add_transactions(
    session: AsyncSession, company_id: uuid.UUID, counts: Mapping[date, int]
) -> dict[date, int]:
    """Add each month's count to its total, atomically, in one statement; the new totals.

    The months are written oldest first, so that two syncs of the company never wait on each
    other in a cycle."""
    if not counts:
        return {}
    rows = [
        {"company_id": company_id, "month": month, "transactions": counts[month]}
        for month in sorted(counts)
    ]
    new_rows = insert(MonthlyUsage).values(rows)
    statement = new_rows.on_conflict_do_update(
        index_elements=[MonthlyUsage.company_id, MonthlyUsage.month],
        set_={"transactions": MonthlyUsage.transactions + new_rows.excluded.transactions},
    ).returning(MonthlyUsage.month, MonthlyUsage.transactions)
    return {month: int(total) for month, total in await session.execute(statement)}


async def get(session: AsyncSession, company_id: uuid.UUID, month: date) -> MonthlyUsage | None:
    statement = (
        select(MonthlyUsage)
        .where(MonthlyUsage.company_id == company_id, MonthlyUsage.month == month)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def of_months(
    session: AsyncSession, company_id: uuid.UUID, months: Collection[date]
) -> list[MonthlyUsage]:
    """These months of the company that have a row, oldest first."""
    statement = (
        select(MonthlyUsage)
        .where(MonthlyUsage.company_id == company_id, MonthlyUsage.month.in_(months))
        .order_by(MonthlyUsage.month)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(statement))


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
