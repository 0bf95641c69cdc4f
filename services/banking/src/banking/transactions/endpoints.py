"""Routes of transactions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from banking.categories.errors import RuleLimitReached, UnknownCategory
from banking.dependencies import BankingRuntime
from banking.transactions import service
from banking.transactions.schemas import (
    CategoryCorrection,
    CorrectionResult,
    TransactionFilters,
    TransactionPage,
    TransactionRead,
)
from finhub_shared.auth import CurrentPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import InvalidCursor, NotFound, error_responses
from finhub_shared.events import utcnow

router = APIRouter(prefix="/api/banking", tags=["transactions"])


@router.get("/transactions", responses=error_responses(InvalidCursor))
async def list_transactions(
    filters: Annotated[TransactionFilters, Query()],
    session: DbSession,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TransactionPage:
    """Your transactions, newest first, filtered; follow `next_cursor` for more."""
    return await service.list_transactions(session, principal, filters, cursor, limit)


@router.get("/transactions/{transaction_id}", responses=error_responses(NotFound))
async def get_transaction(
    transaction_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TransactionRead:
    """One transaction."""
    return await service.get_transaction(session, principal, transaction_id)


@router.patch(
    "/transactions/{transaction_id}",
    responses=error_responses(NotFound, UnknownCategory, RuleLimitReached),
)
async def correct_category(
    transaction_id: uuid.UUID,
    body: CategoryCorrection,
    session: DbSession,
    runtime: BankingRuntime,
    principal: WriterPrincipal,
) -> CorrectionResult:
    """Set the transaction's category by hand; optionally as a rule, and for similar ones."""
    return await service.correct_category(
        session, runtime, principal, transaction_id, body, utcnow()
    )
