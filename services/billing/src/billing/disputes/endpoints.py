"""The company's disputes (chargebacks)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from billing.disputes import repository
from billing.disputes.schemas import DisputeOut
from billing.pagination import Page, PageQuery, fetch_page
from finhub_shared.auth import CurrentPrincipal, ensure_owned
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/payments/disputes", tags=["disputes"])


@router.get("/")
async def list_disputes(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[DisputeOut]:
    """Disputes, newest first, with the evidence due date."""
    rows, total = await fetch_page(session, repository.newest_first(principal), page)
    items = [DisputeOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, page=page.page, page_size=page.page_size)


@router.get("/{dispute_id}", responses={404: {"description": "not_found"}})
async def get_dispute(
    session: DbSession, principal: CurrentPrincipal, dispute_id: UUID
) -> DisputeOut:
    """One dispute."""
    dispute = ensure_owned(await repository.get(session, dispute_id), principal, "dispute")
    return DisputeOut.model_validate(dispute)
