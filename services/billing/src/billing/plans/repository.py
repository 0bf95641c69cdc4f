"""Queries of plans.

Plans are a handful of rows that a migration or an operator's SQL changes, while one Stripe event
looks them up several times: a transaction reads them all once (`every_plan`) and every look-up
here answers from that read. The next transaction reads them again, so it sees any change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from billing.plans.models import Plan

# Where a session keeps its transaction's read of the plans (`Session.info`).
_READ_KEY = "billing.plans"


@dataclass(frozen=True)
class _Read:
    transaction: SessionTransaction | None
    plans: Sequence[Plan]


async def every_plan(session: AsyncSession) -> Sequence[Plan]:
    """Every plan, on sale or withdrawn, in display order, as this transaction first read them."""
    transaction = session.sync_session.get_transaction()
    read: _Read | None = session.info.get(_READ_KEY)
    if transaction is not None and read is not None and read.transaction is transaction:
        return read.plans
    # populate_existing: a session's plans from an earlier transaction are read again, too.
    statement = select(Plan).order_by(Plan.sort_order).execution_options(populate_existing=True)
    plans = (await session.execute(statement)).scalars().all()
    session.info[_READ_KEY] = _Read(session.sync_session.get_transaction(), plans)
    return plans


async def active_plans(session: AsyncSession) -> Sequence[Plan]:
    """The plans on sale, in display order."""
    return [plan for plan in await every_plan(session) if plan.is_active]


async def get(session: AsyncSession, plan_id: int) -> Plan | None:
    """A plan by id, on sale or not."""
    return next((plan for plan in await every_plan(session) if plan.id == plan_id), None)


async def by_slug(session: AsyncSession, slug: str) -> Plan | None:
    """A plan by its slug ("professional")."""
    return next((plan for plan in await every_plan(session) if plan.slug == slug), None)


async def by_lookup_key(session: AsyncSession, lookup_key: str) -> tuple[Plan, str] | None:
    """The plan whose Stripe price has this lookup key, and its billing period."""
    for plan in await every_plan(session):
        if plan.stripe_lookup_key_monthly == lookup_key:
            return plan, "monthly"
        if plan.stripe_lookup_key_yearly == lookup_key:
            return plan, "yearly"
    return None
