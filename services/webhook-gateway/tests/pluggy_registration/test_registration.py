"""Registering our webhook at Pluggy, against an HTTP-level fake of Pluggy's /auth and /webhooks."""

from __future__ import annotations

import json
import os
import uuid

import httpx
import pytest

from finhub_shared.errors import ProviderError
from webhook_gateway.config import GatewaySettings
from webhook_gateway.pluggy_registration import service


class FakePluggy:
    """Just enough of Pluggy: an API key from /auth, and webhooks that need it."""

    def __init__(self) -> None:
        self.api_key = uuid.uuid4().hex
        self.webhooks: dict[str, dict[str, object]] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth":
            body = json.loads(request.content)
            if body != {"clientId": "test-client-id", "clientSecret": "the-client-secret"}:
                return httpx.Response(401, json={"message": "Invalid credentials", "code": 401})
            return httpx.Response(200, json={"apiKey": self.api_key})
        if request.headers.get("X-API-KEY") != self.api_key:
            return httpx.Response(403, json={"message": "Missing or invalid API key", "code": 403})
        if request.method == "GET":
            return httpx.Response(200, json={"results": list(self.webhooks.values())})
        body = json.loads(request.content)
        if request.method == "POST":
            hook_id = str(uuid.uuid4())
            self.webhooks[hook_id] = {"id": hook_id, **body, "disabledAt": None}
            return httpx.Response(201, json=self.webhooks[hook_id])
        hook_id = request.url.path.rsplit("/", 1)[-1]
        self.webhooks[hook_id] |= {k: v for k, v in body.items() if k != "enabled"}
        return httpx.Response(200, json=self.webhooks[hook_id])


def settings(**changes: str) -> GatewaySettings:
    environment = {
        "PLUGGY_CLIENT_SECRET": "the-client-secret",
        "PLUGGY_API_URL": "https://pluggy.test",
        "PUBLIC_WEBHOOK_BASE_URL": "https://hooks.finhub.test/",
    } | changes
    return GatewaySettings(**{**os.environ, **environment})  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_register_creates_one_webhook_for_every_event_with_the_secret_header() -> None:
    pluggy = FakePluggy()
    config = settings()
    async with service.open_pluggy(config, transport=httpx.MockTransport(pluggy.handle)) as api:
        await service.register(api, config)
        await service.register(api, config)  # idempotent

    [hook] = pluggy.webhooks.values()
    assert hook["url"] == "https://hooks.finhub.test/webhooks/pluggy"
    assert hook["event"] == "all"
    assert hook["headers"] == {"x-webhook-secret": os.environ["PLUGGY_WEBHOOK_SECRET"]}


@pytest.mark.asyncio
async def test_rotating_sends_the_first_configured_secret_from_then_on() -> None:
    pluggy = FakePluggy()
    transport = httpx.MockTransport(pluggy.handle)
    old = settings()
    async with service.open_pluggy(old, transport=transport) as api:
        await service.register(api, old)
    new = settings(PLUGGY_WEBHOOK_SECRET=f"brand-new-secret,{os.environ['PLUGGY_WEBHOOK_SECRET']}")
    async with service.open_pluggy(new, transport=transport) as api:
        await service.register(api, new)
        listed = await service.list_webhooks(api)

    [hook] = pluggy.webhooks.values()
    assert hook["headers"] == {"x-webhook-secret": "brand-new-secret"}
    assert [item.url for item in listed] == ["https://hooks.finhub.test/webhooks/pluggy"]


@pytest.mark.asyncio
async def test_wrong_pluggy_credentials_are_a_clear_error() -> None:
    pluggy = FakePluggy()
    config = settings(PLUGGY_CLIENT_SECRET="wrong")
    async with service.open_pluggy(config, transport=httpx.MockTransport(pluggy.handle)) as api:
        with pytest.raises(ProviderError) as refused:
            await service.list_webhooks(api)
    assert "wrong" not in str(refused.value.to_body())
