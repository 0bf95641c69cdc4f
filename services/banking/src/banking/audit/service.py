"""Writing the audit log; every change it covers calls `record` in the transaction that makes it.

Actions, by family: `connection.created` / `.reconnected` / `.removed` / `.consent_revoked`,
`data.deleted`, `pix.payment_created` / `.payment_scheduled` / `.payment_cancelled` /
`.mandate_created` / `.mandate_revoked` / `.cycle_scheduled` / `.cycle_cancelled`,
`rule.created` / `.updated` / `.applied` / `.deleted`, `transaction.category_changed` /
`.suggestions_applied`, `learning.auto_apply_changed`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from banking.audit.models import AuditEntry
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
    """Add one audit entry (`before`/`after` must be JSON-ready, ids and states, no secret)."""
    session.add(
        AuditEntry(company_id=company_id, actor=actor, action=action, before=before, after=after)
    )
    await session.flush()
