"""Queries of disputes."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.disputes.models import Dispute
from finhub_shared.auth import Principal, scoped


async def by_stripe_id(session: AsyncSession, stripe_dispute_id: str) -> Dispute | None:
    """Our record of a Stripe dispute."""
    statement = select(Dispute).where(Dispute.stripe_dispute_id == stripe_dispute_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get(session: AsyncSession, dispute_id: UUID) -> Dispute | None:
    """A dispute by our id, whoever it belongs to (callers check ownership)."""
    return await session.get(Dispute, dispute_id)


def newest_first(principal: Principal) -> Select[Dispute]:
    """The caller's disputes, newest first."""
    return scoped(select(Dispute), Dispute, principal).order_by(
        Dispute.stripe_created_at.desc(), Dispute.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Dispute]:
    """The company's newest disputes."""
    statement = (
        select(Dispute)
        .where(Dispute.company_id == company_id)
        .order_by(Dispute.stripe_created_at.desc())
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()
