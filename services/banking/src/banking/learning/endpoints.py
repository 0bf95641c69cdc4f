"""Routes of learned categories: the company's consent and model, and suggestions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from banking.dependencies import BankingRuntime, Clock
from banking.learning import service
from banking.learning.errors import NothingToPropose
from banking.learning.schemas import (
    LearningRead,
    LearningUpdate,
    Suggestions,
    SuggestionsApplied,
    SuggestionsApply,
)
from finhub_shared.auth import CurrentPrincipal, ManagerPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses

router = APIRouter(prefix="/api/banking", tags=["categories"])


@router.get("/categories/learning")
async def get_learning(
    session: DbSession, runtime: BankingRuntime, principal: CurrentPrincipal
) -> LearningRead:
    """Whether new transactions take the learned category, and what the model learned."""
    return await service.learning_of(session, principal, runtime.settings)


@router.put("/categories/learning")
async def set_learning(
    body: LearningUpdate, session: DbSession, runtime: BankingRuntime, principal: ManagerPrincipal
) -> LearningRead:
    """Owners and admins: let the learned model categorise new transactions (off by default)."""
    return await service.set_auto_apply(session, principal, body, runtime.settings)


@router.get("/transactions/{transaction_id}/similar", responses=error_responses(NotFound))
async def similar_transactions(
    transaction_id: uuid.UUID,
    session: DbSession,
    runtime: BankingRuntime,
    principal: CurrentPrincipal,
) -> Suggestions:
    """Past transactions that could take this one's category (none a person or a rule set)."""
    return await service.suggest(session, principal, transaction_id, runtime.settings)


@router.post(
    "/transactions/{transaction_id}/similar/apply",
    responses=error_responses(NotFound, NothingToPropose),
)
async def apply_similar(
    transaction_id: uuid.UUID,
    body: SuggestionsApply,
    session: DbSession,
    principal: WriterPrincipal,
    clock: Clock,
) -> SuggestionsApplied:
    """Give this transaction's category to the listed ones, as your choice (audited)."""
    return await service.apply_suggestions(
        session, principal, transaction_id, body.transaction_ids, clock()
    )
