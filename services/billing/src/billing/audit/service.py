"""Writing the audit log; every state change calls `record` in the transaction that makes it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit.models import AuditEntry
from finhub_shared.audit import event_actor, job_actor, user_actor

__all__ = ["event_actor", "job_actor", "record", "user_actor"]


async def record(
    session: AsyncSession,
    company_id: UUID,
    *,
    actor: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry (`before`/`after` must be JSON-ready)."""
    session.add(
        AuditEntry(company_id=company_id, actor=actor, action=action, before=before, after=after)
    )
    await session.flush()
