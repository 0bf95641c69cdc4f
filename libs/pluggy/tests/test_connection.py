"""The authenticated Pluggy connection: one key for many calls, renewal before expiry and when
refused, idempotent `POST /auth`, and neither the secret nor the key in logs or errors."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from structlog.testing import capture_logs

from finhub_pluggy.connection import (
    API_KEY_LIFETIME_SECONDS,
    API_KEY_RENEWAL_MARGIN_SECONDS,
    PluggyConnection,
)
from finhub_shared.errors import ProviderError
from finhub_shared.provider_client import (
    IDEMPOTENCY_KEY_HEADER,
    RetryPolicy,
    raise_for_provider_status,
)

CLIENT_ID = "the-client-id"
CLIENT_SECRET = "the-client-secret"
FAST_RETRIES = RetryPolicy(max_attempts=3, backoff_initial=0.001, backoff_max=0.01)


def pluggy_error(status: int, code_description: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": status, "codeDescription": code_description, "message": message}
    )


class FakePluggy:
    """Pluggy's `POST /auth` and an authenticated `/items/{id}`, at the HTTP boundary."""

    def __init__(self) -> None:
        self.client_secret = CLIENT_SECRET
        self.api_keys: set[str] = set()
        self.requests: list[httpx.Request] = []
        self._scripted: dict[str, list[httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self._scripted.get(path):
            return self._scripted[path].pop(0)
        if path == "/auth":
            return self._auth(request)
        if request.headers.get("X-API-KEY") not in self.api_keys:
            # Pluggy's NotAuthenticatedResponse: a 403 without codeDescription.
            return httpx.Response(
                403, json={"code": 403, "message": "Missing or invalid authorization token"}
            )
        return httpx.Response(200, json={"id": path.rsplit("/", 1)[-1]})

    def answer_next(self, path: str, *responses: httpx.Response) -> None:
        """Answer the next requests to `path` with these, in turn, whatever they carry."""
        self._scripted[path] = list(responses)

    def revoke_api_keys(self) -> None:
        """Pluggy forgets every key it issued (as if they expired early)."""
        self.api_keys.clear()

    def sent_to(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]

    def _auth(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content) != {
            "clientId": CLIENT_ID,
            "clientSecret": self.client_secret,
        }:
            return pluggy_error(401, "CLIENT_KEYS_UNAUTHORIZED", "Client id and secret are invalid")
        api_key = secrets.token_urlsafe(24)
        self.api_keys.add(api_key)
        return httpx.Response(200, json={"apiKey": api_key})


def connection_for(
    fake: FakePluggy, *, clock: Callable[[], float] | None = None
) -> PluggyConnection:
    return PluggyConnection(
        "https://pluggy.test",
        CLIENT_ID,
        SecretStr(CLIENT_SECRET),
        retry=FAST_RETRIES,
        transport=httpx.MockTransport(fake),
        **({"clock": clock} if clock else {}),
    )


@pytest.fixture
def fake_pluggy() -> FakePluggy:
    return FakePluggy()


@pytest_asyncio.fixture
async def pluggy(fake_pluggy: FakePluggy) -> AsyncIterator[PluggyConnection]:
    async with connection_for(fake_pluggy) as connection:
        yield connection


@pytest.mark.asyncio
async def test_one_api_key_serves_many_calls(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    for _ in range(3):
        assert (await pluggy.request("GET", "/items/item-1")).status_code == 200

    assert len(fake_pluggy.sent_to("/auth")) == 1


@pytest.mark.asyncio
async def test_concurrent_first_calls_share_one_key(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    answers = await asyncio.gather(*(pluggy.request("GET", "/items/item-1") for _ in range(5)))

    assert [answer.status_code for answer in answers] == [200] * 5
    assert len(fake_pluggy.sent_to("/auth")) == 1


@pytest.mark.asyncio
async def test_a_rejected_key_is_renewed_and_the_call_repeated(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    await pluggy.request("GET", "/items/item-1")
    fake_pluggy.revoke_api_keys()

    response = await pluggy.request("GET", "/items/item-1")

    assert response.status_code == 200
    assert response.json()["id"] == "item-1"
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_a_401_also_renews_the_key(fake_pluggy: FakePluggy, pluggy: PluggyConnection) -> None:
    await pluggy.request("GET", "/items/item-1")
    fake_pluggy.answer_next("/items/item-1", pluggy_error(401, "UNAUTHORIZED", "API key expired"))

    assert (await pluggy.request("GET", "/items/item-1")).status_code == 200
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_a_key_refused_twice_is_answered_after_one_renewal(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    refused = pluggy_error(401, "UNAUTHORIZED", "API key expired")
    fake_pluggy.answer_next("/items/item-1", refused, refused)

    response = await pluggy.request("GET", "/items/item-1")

    assert response.status_code == 401
    assert len(fake_pluggy.sent_to("/items/item-1")) == 2
    assert len(fake_pluggy.sent_to("/auth")) == 2


@pytest.mark.asyncio
async def test_other_403s_are_errors_without_a_new_key(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
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
async def test_the_key_is_renewed_before_its_two_hours_are_up(fake_pluggy: FakePluggy) -> None:
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
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next("/auth", pluggy_error(500, "INTERNAL_ERROR", "boom"))

    assert (await pluggy.request("GET", "/items/item-1")).status_code == 200
    auth_requests = fake_pluggy.sent_to("/auth")
    assert len(auth_requests) == 2
    assert all(IDEMPOTENCY_KEY_HEADER in request.headers for request in auth_requests)


@pytest.mark.asyncio
async def test_a_repeatable_request_keeps_its_idempotency_key_when_resent(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    await pluggy.request("POST", "/items/once")
    fake_pluggy.revoke_api_keys()

    await pluggy.request("POST", "/items/again", json={}, repeatable=True)

    [once] = fake_pluggy.sent_to("/items/once")
    assert IDEMPOTENCY_KEY_HEADER not in once.headers
    refused, resent = fake_pluggy.sent_to("/items/again")
    assert refused.headers[IDEMPOTENCY_KEY_HEADER] == resent.headers[IDEMPOTENCY_KEY_HEADER]


@pytest.mark.asyncio
async def test_wrong_client_secret_is_a_provider_error_that_does_not_show_the_secret(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.client_secret = "the-secret-pluggy-really-has"

    with capture_logs() as logs, pytest.raises(ProviderError) as raised:
        await pluggy.request("GET", "/items/item-1")

    assert raised.value.extra["provider_code"] == "CLIENT_KEYS_UNAUTHORIZED"
    assert CLIENT_SECRET not in str(raised.value.to_body())
    assert CLIENT_SECRET not in repr(logs)


@pytest.mark.asyncio
async def test_neither_the_secret_nor_the_key_is_logged_while_retrying(
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
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
    fake_pluggy: FakePluggy, pluggy: PluggyConnection
) -> None:
    fake_pluggy.answer_next("/auth", httpx.Response(200, json={"accessToken": "not-a-key"}))

    with pytest.raises(ProviderError, match="without an API key"):
        await pluggy.request("GET", "/items/item-1")
