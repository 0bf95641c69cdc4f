"""The company's disputes (chargebacks)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from billing.disputes import repository
from billing.disputes.schemas import DisputeOut
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/payments/disputes", tags=["disputes"])


@router.get("/")
async def list_disputes(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[DisputeOut]:
    """Disputes, newest first, with the evidence due date."""
    return await page_of(session, repository.newest_first(principal), page, DisputeOut)


@router.get("/{dispute_id}", responses=error_responses(NotFound))
async def get_dispute(
    session: DbSession, principal: CurrentPrincipal, dispute_id: UUID
) -> DisputeOut:
    """One dispute."""
    dispute = await repository.get_for(session, principal, dispute_id)
    return DisputeOut.model_validate(dispute)
