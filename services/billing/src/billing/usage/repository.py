"""Queries of usage."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.usage.models import Usage
from billing.usage.schemas import UsageChanged
from finhub_shared import queries


async def get(session: AsyncSession, company_id: UUID) -> Usage | None:
    """The company's usage as banking last reported it."""
    return await session.get(Usage, company_id)


async def get_for_update(session: AsyncSession, company_id: UUID) -> Usage | None:
    """The company's usage row, locked."""
    return await queries.get_for_update(session, Usage, company_id)


async def keep_latest(session: AsyncSession, usage: UsageChanged, measured_at: datetime) -> None:
    """Keep the report unless a newer one is already kept."""
    values = {
        "company_id": usage.company_id,
        "bank_accounts": usage.bank_accounts,
        "transactions_this_month": usage.transactions_this_month,
        "month": usage.month,
        "measured_at": measured_at,
    }
    statement = insert(Usage).values(values)
    # One statement, so concurrent reports need no lock. The latest month wins, then the newest
    # measurement of it: a sync of a year of history reports every month at the same moment.
    later_month = Usage.month < statement.excluded.month
    newer_measure = (Usage.month == statement.excluded.month) & (
        Usage.measured_at < statement.excluded.measured_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Usage.company_id],
        set_={name: statement.excluded[name] for name in values if name != "company_id"},
        where=later_month | newer_measure,
    )
    await session.execute(statement)
