"""Routes of accounts."""

from __future__ import annotations

from fastapi import APIRouter

from banking.accounts import repository
from banking.accounts.schemas import AccountRead
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/banking", tags=["accounts"])


@router.get("/accounts/")
async def list_accounts(session: DbSession, principal: CurrentPrincipal) -> list[AccountRead]:
    """Your bank and credit-card accounts with their balances."""
    return [AccountRead.model_validate(a) for a in await repository.list_for(session, principal)]
