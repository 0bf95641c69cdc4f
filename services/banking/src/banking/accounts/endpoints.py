"""Routes of accounts."""

from __future__ import annotations

from fastapi import APIRouter

from banking.accounts import repository, service
from banking.accounts.schemas import AccountRead
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/banking", tags=["accounts"])


@router.get("/accounts")
async def list_accounts(session: DbSession, principal: CurrentPrincipal) -> list[AccountRead]:
    """Your bank and credit-card accounts with their balances; those past your plan's limit are
    `blocked`, with the upgrade that would sync them."""
    return await service.read_accounts(session, await repository.list_for(session, principal))
