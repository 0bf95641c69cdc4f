"""The public app serves the webhooks alone; the admin API is another app, on its own port."""

from __future__ import annotations

import os

import httpx
import pytest
from asgi_lifespan import LifespanManager

from finhub_shared.db import Database
from finhub_shared.settings import MissingSettingError, load_settings
from webhook_gateway.config import GatewaySettings
from webhook_gateway.main import create_admin_app

from .factories import signed, stripe_event
from .stored import stored_events

ADMIN_ROUTES = [
    ("GET", "/admin/events"),
    ("GET", "/admin/events/5f1d7c1e-0000-4000-8000-000000000000"),
    ("POST", "/admin/events/5f1d7c1e-0000-4000-8000-000000000000/replay"),
    ("POST", "/admin/events/replay"),
]


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['ADMIN_TOKEN']}"}


@pytest.mark.asyncio
async def test_the_public_app_answers_404_to_every_admin_route_even_with_the_token(
    client: httpx.AsyncClient,
) -> None:
    answers = {
        (method, path): (await client.request(method, path, headers=admin(), json={})).status_code
        for method, path in ADMIN_ROUTES
    }

    assert answers == dict.fromkeys(ADMIN_ROUTES, 404)
    documented = (await client.get("/openapi.json")).json()["paths"]
    assert [path for path in documented if path.startswith("/admin")] == []


@pytest.mark.asyncio
async def test_the_admin_app_lists_with_the_token_and_takes_no_webhooks(
    client: httpx.AsyncClient, database: Database
) -> None:
    body, headers = signed(stripe_event("invoice.paid"))
    await client.post("/webhooks/stripe", content=body, headers=headers)
    admin_app = create_admin_app()
    async with LifespanManager(admin_app):
        transport = httpx.ASGITransport(app=admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as operator:
            listed = await operator.get("/admin/events", headers=admin())
            refused = await operator.get("/admin/events")
            webhook = await operator.post("/webhooks/stripe", content=body, headers=headers)
            ready = await operator.get("/readyz")

    assert [item["event_type"] for item in listed.json()["items"]] == ["invoice.paid"]
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")
    assert webhook.status_code == 404
    assert ready.status_code == 200
    assert len(await stored_events(database)) == 1


def test_the_admin_port_is_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(GatewaySettings, "webhook-gateway").admin_port == 8003

    monkeypatch.setenv("GATEWAY_ADMIN_PORT", "8000")
    with pytest.raises(MissingSettingError, match="GATEWAY_ADMIN_PORT must differ"):
        load_settings(GatewaySettings, "webhook-gateway")
