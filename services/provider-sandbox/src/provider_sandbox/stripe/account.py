"""The account-level read `finhub-billing check-stripe` makes: the balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from provider_sandbox.stripe.api import require_api_key

router = APIRouter(dependencies=[Depends(require_api_key)])


@router.get("/v1/balance")
async def balance() -> dict[str, Any]:
    """An empty BRL balance: the sandbox moves no real money."""
    money = [{"amount": 0, "currency": "brl", "source_types": {"card": 0}}]
    return {"object": "balance", "available": money, "pending": money, "livemode": False}
