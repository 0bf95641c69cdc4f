"""What `finhub-billing check-stripe` reads: the balance and where webhooks go."""

from __future__ import annotations

import os

import httpx
import pytest
from asgi_lifespan import LifespanManager

from provider_sandbox.main import create_app


@pytest.mark.asyncio
async def test_the_balance_and_the_gateway_webhook_endpoint_are_listed() -> None:
    app = create_app()
    headers = {"Authorization": "Bearer sk_test_check"}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            balance = (await http.get("/v1/balance", headers=headers)).json()
            endpoints = (await http.get("/v1/webhook_endpoints", headers=headers)).json()
            refused = await http.get("/v1/balance")

    assert balance["object"] == "balance"
    assert balance["available"][0]["currency"] == "brl"
    [endpoint] = endpoints["data"]
    gateway = os.environ.get("PUBLIC_WEBHOOK_BASE_URL", "http://127.0.0.1:8000")
    assert endpoint["url"] == f"{gateway}/webhooks/stripe"
    assert endpoint["status"] == "enabled"
    assert refused.status_code == 401
