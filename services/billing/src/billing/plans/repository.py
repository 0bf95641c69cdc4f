"""Queries of plans."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.plans.models import Plan


async def active_plans(session: AsyncSession) -> Sequence[Plan]:
    """The plans on sale, in display order."""
    statement = select(Plan).where(Plan.is_active).order_by(Plan.sort_order)
    return (await session.execute(statement)).scalars().all()


async def every_plan(session: AsyncSession) -> Sequence[Plan]:
    """Every plan, on sale or withdrawn, in display order."""
    return (await session.execute(select(Plan).order_by(Plan.sort_order))).scalars().all()


async def get(session: AsyncSession, plan_id: int) -> Plan | None:
    """A plan by id, on sale or not."""
    return await session.get(Plan, plan_id)


async def by_slug(session: AsyncSession, slug: str) -> Plan | None:
    """A plan by its slug ("professional")."""
    return (await session.execute(select(Plan).where(Plan.slug == slug))).scalar_one_or_none()


async def by_lookup_key(session: AsyncSession, lookup_key: str) -> tuple[Plan, str] | None:
    """The plan whose Stripe price has this lookup key, and its billing period."""
    statement = select(Plan).where(
        (Plan.stripe_lookup_key_monthly == lookup_key)
        | (Plan.stripe_lookup_key_yearly == lookup_key)
    )
    plan = (await session.execute(statement)).scalar_one_or_none()
    if plan is None:
        return None
    return plan, "monthly" if plan.stripe_lookup_key_monthly == lookup_key else "yearly"
