"""The account-level reads `finhub-billing check-stripe` makes: balance and webhook endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from provider_sandbox.stripe.api import State, require_api_key

router = APIRouter(dependencies=[Depends(require_api_key)])

WEBHOOK_ENDPOINT_ID = "we_sandbox_gateway"


@router.get("/v1/balance")
async def balance() -> dict[str, Any]:
    """An empty BRL balance: the sandbox moves no real money."""
    money = [{"amount": 0, "currency": "brl", "source_types": {"card": 0}}]
    return {"object": "balance", "available": money, "pending": money, "livemode": False}


@router.get("/v1/webhook_endpoints")
async def webhook_endpoints(state: State) -> dict[str, Any]:
    """The one endpoint the sandbox delivers every event to: the gateway's."""
    endpoint = {
        "id": WEBHOOK_ENDPOINT_ID,
        "object": "webhook_endpoint",
        "api_version": "2026-10-28.endive",
        "created": state.now(),
        "enabled_events": ["*"],
        "livemode": False,
        "status": "enabled",
        "url": state.webhook_url,
    }
    return {"object": "list", "data": [endpoint], "has_more": False, "url": "/v1/webhook_endpoints"}
