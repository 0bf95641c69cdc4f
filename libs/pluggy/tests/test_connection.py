"""The authenticated Pluggy connection: one key for many calls, renewal before expiry and when
refused, idempotent `POST /auth`, and neither the secret nor the key in logs or errors; against
the provider sandbox's Pluggy in process."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
import structlog
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from structlog.testing import capture_logs

from finhub_pluggy.connection import (
    API_KEY_LIFETIME_SECONDS,
    API_KEY_RENEWAL_MARGIN_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    PluggyConnection,
)
from finhub_shared.errors import ProviderError
from finhub_shared.provider_client import (
    IDEMPOTENCY_KEY_HEADER,
    RetryPolicy,
    raise_for_provider_status,
)
from provider_sandbox.config import get_settings
from provider_sandbox.main import create_app
from provider_sandbox.pluggy.models import Item
from provider_sandbox.pluggy.state import PluggySandbox
from provider_sandbox.pluggy.testing import Wire

CLIENT_ID = get_settings().pluggy_client_id
CLIENT_SECRET = get_settings().pluggy_client_secret.get_secret_value()
FAST_RETRIES = RetryPolicy(max_attempts=3, backoff_initial=0.001, backoff_max=0.01)


def pluggy_error(status: int, code_description: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": status, "codeDescription": code_description, "message": message}
    )


@dataclass
class SandboxPluggy:
    """The provider sandbox's Pluggy, holding item `item-1`, behind a recording `Wire`."""

    wire: Wire
    state: PluggySandbox

    @property
    def api_keys(self) -> list[str]:
        return list(self.state.api_keys)

    @property
    def client_secret(self) -> str:
        return self.state.client_secret

    @client_secret.setter
    def client_secret(self, secret: str) -> None:
        self.state.client_secret = secret

    def answer_next(self, path: str, *responses: httpx.Response) -> None:
        """Answer the next requests to `path` with these, in turn, whatever they carry."""
        self.wire.answer_next("*", re.escape(path), *responses)

    def revoke_api_keys(self) -> None:
        """Pluggy forgets every key it issued (as if they expired early)."""
        self.state.api_keys.clear()

    def sent_to(self, path: str) -> list[httpx.Request]:
        return self.wire.sent_to(path)


def connection_for(
    fake: SandboxPluggy,
    *,
    clock: Callable[[], float] = time.monotonic,
    retry: RetryPolicy = FAST_RETRIES,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> PluggyConnection:
    return PluggyConnection(
        "http://127.0.0.1:8010/pluggy",
        CLIENT_ID,
        SecretStr(CLIENT_SECRET),
        retry=retry,
        timeout=timeout,
        transport=fake.wire,
        clock=clock,
    )


@pytest_asyncio.fixture
async def fake_pluggy() -> AsyncIterator[SandboxPluggy]:
    app = create_app()
    async with LifespanManager(app):
        # The sandbox configures logging for a process of its own; capture_logs needs the defaults.
        structlog.reset_defaults()
        state: PluggySandbox = app.state.pluggy
        now = state.now()
        state.items["item-1"] = Item(
            id="item-1",
            connector=state.connector(0),
            user="user-ok",
            password="password-ok",
            status="UPDATED",
            execution_status="SUCCESS",
            created_at=now,
            updated_at=now,
        )
        yield SandboxPluggy(Wire(app), state)


@pytest_asyncio.fixture
async def pluggy(fake_pluggy: SandboxPluggy) -> AsyncIterator[PluggyConnection]:
    async with connection_for(fake_pluggy) as connection:
        yield connection


@pytest.mark.asyncio
async def test_one_api_key_serves_many_calls(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    for _ in range(3):
        assert (await pluggy.request("GET", "/items/item-1")).status_code == 200

    assert len(fake_pluggy.sent_to("/auth")) == 1


@pytest.mark.asyncio
async def test_concurrent_first_calls_share_one_key(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    answers = await asyncio.gather(*(pluggy.request("GET", "/items/item-1") for _ in range(5)))

    assert [answer.status_code for answer in answers] == [200] * 5
    assert len(fake_pluggy.sent_to("/auth")) == 1


@pytest.mark.asyncio
async def test_a_rejected_key_is_renewed_and_the_call_repeated(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    await pluggy.request("GET", "/items/item-1")
    fake_pluggy.revoke_api_keys()

    response = await pluggy.request("GET", "/items/item-1")

    assert response.status_code == 200
    assert response.json()["id"] == "item-1"
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_a_401_also_renews_the_key(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    await pluggy.request("GET", "/items/item-1")
    fake_pluggy.answer_next("/items/item-1", pluggy_error(401, "UNAUTHORIZED", "API key expired"))

    assert (await pluggy.request("GET", "/items/item-1")).status_code == 200
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_a_key_refused_twice_is_answered_after_one_renewal(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    refused = pluggy_error(401, "UNAUTHORIZED", "API key expired")
    fake_pluggy.answer_next("/items/item-1", refused, refused)

    response = await pluggy.request("GET", "/items/item-1")

    assert response.status_code == 401
    assert len(fake_pluggy.sent_to("/items/item-1")) == 2
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_other_403s_are_errors_without_a_new_key(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next(
        "/items/item-1", pluggy_error(403, "CLIENT_IP_NOT_ALLOWED", "IP not allowed")
    )

    response = await pluggy.request("GET", "/items/item-1")

    with pytest.raises(ProviderError) as raised:
        raise_for_provider_status(response, provider="pluggy")
    assert raised.value.extra["provider_code"] == "CLIENT_IP_NOT_ALLOWED"
    assert len(fake_pluggy.sent_to("/auth")) == 1


@pytest.mark.asyncio
async def test_the_key_is_renewed_before_its_two_hours_are_up(fake_pluggy: SandboxPluggy) -> None:
    now = [1000.0]
    async with connection_for(fake_pluggy, clock=lambda: now[0]) as connection:
        await connection.request("GET", "/items/item-1")
        now[0] += API_KEY_LIFETIME_SECONDS - API_KEY_RENEWAL_MARGIN_SECONDS - 1
        await connection.request("GET", "/items/item-1")
        assert len(fake_pluggy.sent_to("/auth")) == 1
        now[0] += API_KEY_RENEWAL_MARGIN_SECONDS - 5 * 60
        await connection.request("GET", "/items/item-1")

    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_auth_carries_an_idempotency_key_so_a_5xx_is_retried(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next("/auth", pluggy_error(500, "INTERNAL_ERROR", "boom"))

    assert (await pluggy.request("GET", "/items/item-1")).status_code == 200
    auth_requests = fake_pluggy.sent_to("/auth")
    assert len(auth_requests) == 2
    assert all(IDEMPOTENCY_KEY_HEADER in request.headers for request in auth_requests)


@pytest.mark.asyncio
async def test_a_repeatable_request_keeps_its_idempotency_key_when_resent(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    await pluggy.request("POST", "/items/item-1/mfa", json={})
    fake_pluggy.revoke_api_keys()

    await pluggy.request("POST", "/connect_token", json={}, repeatable=True)

    [once] = fake_pluggy.sent_to("/items/item-1/mfa")
    assert IDEMPOTENCY_KEY_HEADER not in once.headers
    refused, resent = fake_pluggy.sent_to("/connect_token")
    assert refused.headers[IDEMPOTENCY_KEY_HEADER] == resent.headers[IDEMPOTENCY_KEY_HEADER]


@pytest.mark.asyncio
async def test_wrong_client_secret_is_a_provider_error_that_does_not_show_the_secret(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.client_secret = "the-secret-pluggy-really-has"

    with capture_logs() as logs, pytest.raises(ProviderError) as raised:
        await pluggy.request("GET", "/items/item-1")

    assert raised.value.extra["provider_code"] == "CLIENT_KEYS_UNAUTHORIZED"
    assert CLIENT_SECRET not in str(raised.value.to_body())
    assert CLIENT_SECRET not in repr(logs)


@pytest.mark.asyncio
async def test_neither_the_secret_nor_the_key_is_logged_while_retrying(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next("/auth", pluggy_error(500, "INTERNAL_ERROR", "boom"))
    fake_pluggy.answer_next("/items/item-1", pluggy_error(500, "INTERNAL_ERROR", "boom"))

    with capture_logs() as logs:
        await pluggy.request("GET", "/items/item-1")

    [api_key] = fake_pluggy.api_keys
    assert logs
    assert CLIENT_SECRET not in repr(logs)
    assert api_key not in repr(logs)


@pytest.mark.asyncio
async def test_an_auth_answer_without_a_key_is_a_provider_error(
    fake_pluggy: SandboxPluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next("/auth", httpx.Response(200, json={"accessToken": "not-a-key"}))

    with pytest.raises(ProviderError, match="without an API key"):
        await pluggy.request("GET", "/items/item-1")


@pytest.mark.asyncio
@pytest.mark.parametrize("seconds", [2.5, 45.0])
async def test_every_request_carries_the_timeout_given(
    fake_pluggy: SandboxPluggy, seconds: float
) -> None:
    async with connection_for(fake_pluggy, timeout=seconds) as connection:
        await connection.request("GET", "/items/item-1")

    sent = fake_pluggy.sent_to("/auth") + fake_pluggy.sent_to("/items/item-1")
    assert [request.extensions["timeout"] for request in sent] == [
        dict.fromkeys(("connect", "read", "write", "pool"), seconds)
    ] * 2


@pytest.mark.asyncio
@pytest.mark.parametrize("attempts", [1, 2, 5])
async def test_a_failing_call_is_tried_as_often_as_the_policy_allows(
    fake_pluggy: SandboxPluggy, attempts: int
) -> None:
    retry = RetryPolicy(max_attempts=attempts, backoff_initial=0.001, backoff_max=0.01)
    fake_pluggy.wire.answer_after(
        "GET", "/items/item-1", 0, pluggy_error(500, "INTERNAL_ERROR", "boom")
    )
    async with connection_for(fake_pluggy, retry=retry) as connection:
        with pytest.raises(ProviderError):
            await connection.request("GET", "/items/item-1")

    assert len(fake_pluggy.sent_to("/items/item-1")) == attempts
