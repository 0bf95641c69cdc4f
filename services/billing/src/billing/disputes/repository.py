"""Queries of disputes and their evidence files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.disputes.models import Dispute, EvidenceFile
from finhub_shared import queries
from finhub_shared.auth import Principal, ensure_owned, scoped

# The statuses in which a dispute waits for the merchant's evidence.
OPEN_STATUSES = ("needs_response", "warning_needs_response")


async def by_stripe_id(session: AsyncSession, stripe_dispute_id: str) -> Dispute | None:
    """Our record of a Stripe dispute."""
    statement = select(Dispute).where(Dispute.stripe_dispute_id == stripe_dispute_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_for(session: AsyncSession, principal: Principal, dispute_id: UUID) -> Dispute:
    """The caller's dispute, or 404."""
    return await queries.get_owned(session, Dispute, dispute_id, principal, "dispute")


async def lock_for(session: AsyncSession, principal: Principal, dispute_id: UUID) -> Dispute:
    """The caller's dispute locked until the transaction ends, or 404."""
    dispute = await queries.get_for_update(session, Dispute, dispute_id)
    return ensure_owned(dispute, principal, "dispute")


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


async def files_of(session: AsyncSession, dispute_id: UUID) -> Sequence[EvidenceFile]:
    """The evidence files uploaded for a dispute, by field."""
    statement = (
        select(EvidenceFile)
        .where(EvidenceFile.dispute_id == dispute_id)
        .order_by(EvidenceFile.field)
    )
    return (await session.execute(statement)).scalars().all()


async def file_for(session: AsyncSession, dispute_id: UUID, field: str) -> EvidenceFile | None:
    """The file uploaded for one evidence field of a dispute."""
    statement = select(EvidenceFile).where(
        EvidenceFile.dispute_id == dispute_id, EvidenceFile.field == field
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def due_for_reminder(
    session: AsyncSession, now: datetime, notice: timedelta, limit: int
) -> Sequence[Dispute]:
    """Open disputes with no evidence submitted whose deadline is within `notice` and not yet
    reminded of, locked (rows another worker holds are left to it)."""
    statement = (
        select(Dispute)
        .where(
            Dispute.status.in_(OPEN_STATUSES),
            Dispute.evidence_submission_count == 0,
            Dispute.reminded_at.is_(None),
            Dispute.evidence_due_by > now,
            Dispute.evidence_due_by <= now + notice,
        )
        .order_by(Dispute.evidence_due_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(statement)).scalars().all()
