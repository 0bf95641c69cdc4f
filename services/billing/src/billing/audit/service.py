"""Writing the audit log; every state change calls `record` in the transaction that makes it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit.models import AuditEntry


def user_actor(user_id: UUID) -> str:
    """The actor of a change a user asked for."""
    return f"user:{user_id}"


def event_actor(source: str, event_id: str) -> str:
    """The actor of a change an event caused (`stripe:evt_...`)."""
    return f"{source}:{event_id}"


def job_actor(job: str) -> str:
    """The actor of a change a scheduled job made."""
    return f"job:{job}"


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
