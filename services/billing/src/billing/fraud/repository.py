"""Queries of early fraud warnings."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.fraud.models import FraudWarning
from finhub_shared import queries

PENDING_REFUND = "pending"


async def by_stripe_id(session: AsyncSession, stripe_warning_id: str) -> FraudWarning | None:
    """Our record of a Stripe early fraud warning."""
    statement = select(FraudWarning).where(FraudWarning.stripe_warning_id == stripe_warning_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def awaiting_refund(session: AsyncSession, limit: int) -> Sequence[UUID]:
    """The warnings whose charge is still to be refunded."""
    statement = (
        select(FraudWarning.id).where(FraudWarning.refund_status == PENDING_REFUND).limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def get(session: AsyncSession, warning_id: UUID) -> FraudWarning | None:
    """A warning as it is now."""
    return await session.get(FraudWarning, warning_id)


async def get_for_update(session: AsyncSession, warning_id: UUID) -> FraudWarning | None:
    """A warning, locked."""
    return await queries.get_for_update(session, FraudWarning, warning_id)
