"""Registering our webhook at Pluggy, against the provider sandbox's Pluggy in process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from finhub_shared.errors import ProviderError
from provider_sandbox.main import create_app
from provider_sandbox.pluggy.models import RegisteredWebhook
from provider_sandbox.pluggy.state import PluggySandbox
from webhook_gateway.config import GatewaySettings
from webhook_gateway.pluggy_registration import service


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[FastAPI]:
    """The provider sandbox, knowing the Pluggy client id and secret the settings hold."""
    app = create_app()
    async with LifespanManager(app):
        yield app


@pytest.fixture
def transport(sandbox: FastAPI) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=sandbox)


def registered(sandbox: FastAPI) -> list[RegisteredWebhook]:
    """The webhooks Pluggy keeps, headers included (its API never shows them)."""
    pluggy: PluggySandbox = sandbox.state.pluggy
    return list(pluggy.webhooks.values())


def settings(**changes: str) -> GatewaySettings:
    environment = {
        "PLUGGY_API_URL": "http://127.0.0.1:8010/pluggy",
        "PUBLIC_WEBHOOK_BASE_URL": "https://hooks.finhub.test/",
    } | changes
    return GatewaySettings(**{**os.environ, **environment})  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_register_creates_one_webhook_for_every_event_with_the_secret_header(
    sandbox: FastAPI, transport: httpx.ASGITransport
) -> None:
    config = settings()
    async with service.open_pluggy(config, transport=transport) as api:
        await service.register(api, config)
        await service.register(api, config)  # idempotent

    [hook] = registered(sandbox)
    assert hook.url == "https://hooks.finhub.test/webhooks/pluggy"
    assert hook.event == "all"
    assert hook.headers == {"x-webhook-secret": os.environ["PLUGGY_WEBHOOK_SECRET"]}


@pytest.mark.asyncio
async def test_rotating_sends_the_first_configured_secret_from_then_on(
    sandbox: FastAPI, transport: httpx.ASGITransport
) -> None:
    old = settings()
    async with service.open_pluggy(old, transport=transport) as api:
        await service.register(api, old)
    new = settings(PLUGGY_WEBHOOK_SECRET=f"brand-new-secret,{os.environ['PLUGGY_WEBHOOK_SECRET']}")
    async with service.open_pluggy(new, transport=transport) as api:
        await service.register(api, new)
        listed = await service.list_webhooks(api)

    [hook] = registered(sandbox)
    assert hook.headers == {"x-webhook-secret": "brand-new-secret"}
    assert [item.url for item in listed] == ["https://hooks.finhub.test/webhooks/pluggy"]


@pytest.mark.asyncio
async def test_wrong_pluggy_credentials_are_a_clear_error(transport: httpx.ASGITransport) -> None:
    config = settings(PLUGGY_CLIENT_SECRET="wrong")
    async with service.open_pluggy(config, transport=transport) as api:
        with pytest.raises(ProviderError) as refused:
            await service.list_webhooks(api)
    assert "wrong" not in str(refused.value.to_body())
