"""The Pluggy clients of the API and the worker take their timeout and retries from banking's
settings (BANKING_PLUGGY_...): changing one changes how often and how long Pluggy is tried."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from banking.config import get_settings
from banking.main import create_app
from banking.pluggy import client_for, worker_retry
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError

from ..conftest import token_for
from ..pluggy_sandbox import SandboxPluggy, error

ITEM = "/items/0d4f5c4e-0000-4000-8000-000000000000"
BOOM = error(500, "INTERNAL_SERVER_ERROR", "boom")


async def connect_token_tries(fake_pluggy: SandboxPluggy, **settings: Any) -> int:
    """How many times the API asks Pluggy for a connect token Pluggy keeps failing, with these
    settings."""
    fake_pluggy.fail_after("POST", "/connect_token", 0, BOOM)
    app = create_app(
        pluggy_transport=httpx.MockTransport(fake_pluggy),
        settings=get_settings().model_copy(update=settings),
    )
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.post(
                "/api/banking/pluggy/connect-token/", json={}, headers=token_for(uuid.uuid4())
            )
    assert (answer.status_code, answer.json()["code"]) == (502, "provider_error")
    return fake_pluggy.calls_to("POST", "/connect_token")


@pytest.mark.asyncio
@pytest.mark.parametrize("attempts", [1, 4])
async def test_the_api_tries_pluggy_as_often_as_its_setting_says(
    database: Database, fake_pluggy: SandboxPluggy, attempts: int
) -> None:
    tries = await connect_token_tries(
        fake_pluggy,
        pluggy_api_attempts=attempts,
        pluggy_retry_first_wait_seconds=0.001,
        pluggy_api_max_wait_seconds=0.01,
    )

    assert tries == attempts


@pytest.mark.asyncio
@pytest.mark.parametrize("attempts", [1, 3])
async def test_the_worker_tries_pluggy_as_often_as_its_setting_says(
    fake_pluggy: SandboxPluggy, attempts: int
) -> None:
    settings = get_settings().model_copy(
        update={
            "pluggy_worker_attempts": attempts,
            "pluggy_retry_first_wait_seconds": 0.001,
            "pluggy_worker_max_wait_seconds": 0.01,
        }
    )
    fake_pluggy.fail_after("GET", ITEM, 0, BOOM)
    pluggy = client_for(settings, worker_retry(settings), httpx.MockTransport(fake_pluggy))
    try:
        with pytest.raises(ProviderError):
            await pluggy.get_item(ITEM.removeprefix("/items/"))
    finally:
        await pluggy.aclose()

    assert fake_pluggy.calls_to("GET", ITEM) == attempts


@pytest.mark.asyncio
async def test_the_longest_wait_is_a_setting_even_when_pluggy_asks_for_a_minute(
    fake_pluggy: SandboxPluggy,
) -> None:
    settings = get_settings().model_copy(
        update={"pluggy_worker_attempts": 3, "pluggy_worker_max_wait_seconds": 0.05}
    )
    limited = httpx.Response(
        429, headers={"Retry-After": "60"}, json={"code": 429, "message": "Too many requests"}
    )
    fake_pluggy.fail_after("GET", ITEM, 0, limited)
    pluggy = client_for(settings, worker_retry(settings), httpx.MockTransport(fake_pluggy))
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError):
            await pluggy.get_item(ITEM.removeprefix("/items/"))
    finally:
        await pluggy.aclose()

    assert fake_pluggy.calls_to("GET", ITEM) == 3
    assert time.monotonic() - started < 5


@pytest.mark.asyncio
@pytest.mark.parametrize("seconds", [4.0, 45.0])
async def test_every_call_carries_the_timeout_setting(
    fake_pluggy: SandboxPluggy, seconds: float
) -> None:
    settings = get_settings().model_copy(update={"pluggy_timeout_seconds": seconds})
    pluggy = client_for(settings, worker_retry(settings), httpx.MockTransport(fake_pluggy))
    try:
        await pluggy.get_item(ITEM.removeprefix("/items/"))
    finally:
        await pluggy.aclose()

    timeouts = [request.extensions["timeout"] for request in fake_pluggy.requests]
    assert timeouts
    assert all(set(timeout.values()) == {seconds} for timeout in timeouts)
