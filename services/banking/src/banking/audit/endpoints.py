"""GET /api/banking/audit: the company's audit log, for its owners and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from banking.audit.models import AuditEntry
from finhub_shared import audit
from finhub_shared.auth import ManagerPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import InvalidCursor, error_responses

router = APIRouter(prefix="/api/banking", tags=["audit"])


@router.get("/audit", responses=error_responses(InvalidCursor))
async def list_audit(
    filters: Annotated[audit.AuditFilters, Query()],
    session: DbSession,
    principal: ManagerPrincipal,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> audit.AuditPage:
    """Who changed what in banking, newest first, filtered; follow `next_cursor` for more."""
    return await audit.audit_page(session, AuditEntry, principal, filters, cursor, limit)
