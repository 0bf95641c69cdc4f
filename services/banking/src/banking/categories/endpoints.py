"""Routes of categories and categorisation rules."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response, status

from banking.categories import repository, service
from banking.categories.errors import InvalidRule, RuleLimitReached, UnknownCategory
from banking.categories.schemas import (
    CategoryRead,
    RuleApplied,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)
from banking.dependencies import BankingRuntime
from finhub_shared.auth import ROLES, CurrentPrincipal, WriterPrincipal, require_role
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses

router = APIRouter(prefix="/api/banking", tags=["categories"])


@router.get("/categories", dependencies=[Depends(require_role(*ROLES))])
async def list_categories(session: DbSession, runtime: BankingRuntime) -> list[CategoryRead]:
    """Pluggy's categories (parents and children)."""
    return [CategoryRead.model_validate(c) for c in await service.list_categories(session, runtime)]


@router.get("/rules")
async def list_rules(session: DbSession, principal: CurrentPrincipal) -> list[RuleRead]:
    """Your categorisation rules, in the order they are tried."""
    return [RuleRead.model_validate(r) for r in await repository.list_rules(session, principal)]


@router.post(
    "/rules",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(UnknownCategory, RuleLimitReached, NotFound),
)
async def create_rule(
    body: RuleCreate, session: DbSession, runtime: BankingRuntime, principal: WriterPrincipal
) -> RuleRead:
    """A new rule; it applies to transactions synced from now on (see /apply for the past)."""
    return RuleRead.model_validate(await service.create_rule(session, runtime, principal, body))


@router.patch("/rules/{rule_id}", responses=error_responses(UnknownCategory, InvalidRule, NotFound))
async def update_rule(
    rule_id: uuid.UUID,
    body: RuleUpdate,
    session: DbSession,
    runtime: BankingRuntime,
    principal: WriterPrincipal,
) -> RuleRead:
    """Change a rule."""
    rule = await service.update_rule(session, runtime, principal, rule_id, body)
    return RuleRead.model_validate(rule)


@router.delete(
    "/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(NotFound)
)
async def delete_rule(
    rule_id: uuid.UUID, session: DbSession, principal: WriterPrincipal
) -> Response:
    """Delete a rule (categories it gave stay)."""
    await service.delete_rule(session, principal, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/rules/{rule_id}/apply", responses=error_responses(NotFound))
async def apply_rule(
    rule_id: uuid.UUID, session: DbSession, principal: WriterPrincipal
) -> RuleApplied:
    """Give the rule's category to your past transactions it matches (hand-picked ones stay)."""
    return RuleApplied(updated=await service.apply_to_past(session, principal, rule_id))
