"""Queries of the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit.models import AuditEntry
from finhub_shared import queries


async def latest(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[AuditEntry]:
    """The company's newest audit entries, newest first."""
    statement = queries.newest_first(
        select(AuditEntry).where(AuditEntry.company_id == company_id), AuditEntry.id
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
