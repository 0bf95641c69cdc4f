"""Queries of early fraud warnings."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.fraud.models import FraudWarning

PENDING_REFUND = "pending"


async def by_stripe_id(session: AsyncSession, stripe_warning_id: str) -> FraudWarning | None:
    """Our record of a Stripe early fraud warning."""
    statement = select(FraudWarning).where(FraudWarning.stripe_warning_id == stripe_warning_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def awaiting_refund(session: AsyncSession, limit: int) -> Sequence[tuple[UUID, UUID]]:
    """(warning id, company id) of warnings whose charge is still to be refunded."""
    statement = (
        select(FraudWarning.id, FraudWarning.company_id)
        .where(FraudWarning.refund_status == PENDING_REFUND)
        .limit(limit)
    )
    return [(row.id, row.company_id) for row in await session.execute(statement)]


async def get_for_update(session: AsyncSession, warning_id: UUID) -> FraudWarning | None:
    """A warning, locked."""
    return await session.get(FraudWarning, warning_id, with_for_update=True, populate_existing=True)
