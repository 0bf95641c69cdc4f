"""Queries of disputes."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.disputes.models import Dispute
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def by_stripe_id(session: AsyncSession, stripe_dispute_id: str) -> Dispute | None:
    """Our record of a Stripe dispute."""
    statement = select(Dispute).where(Dispute.stripe_dispute_id == stripe_dispute_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_for(session: AsyncSession, principal: Principal, dispute_id: UUID) -> Dispute:
    """The caller's dispute, or 404."""
    return await queries.get_owned(session, Dispute, dispute_id, principal, "dispute")


def newest_first(principal: Principal) -> Select[Dispute]:
    """The caller's disputes, newest first."""
    return queries.newest_first(
        scoped(select(Dispute), Dispute, principal), Dispute.stripe_created_at, Dispute.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Dispute]:
    """The company's newest disputes."""
    statement = queries.newest_first(
        select(Dispute).where(Dispute.company_id == company_id),
        Dispute.stripe_created_at,
        Dispute.id,
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
