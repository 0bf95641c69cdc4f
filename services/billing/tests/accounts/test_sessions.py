"""Sessions: a log-in is a family of rotated refresh tokens with a fixed end; log-out ends one,
log-out-everywhere ends all, and their access tokens stop working on billing at once."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from finhub_shared.db import Database

from ..conftest import FrozenClock
from ..helpers import STRONG_PASSWORD, bearer, published, register

pytestmark = pytest.mark.asyncio


async def log_in(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refreshed(client: httpx.AsyncClient, tokens: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


async def me(client: httpx.AsyncClient, tokens: dict[str, Any]) -> tuple[int, str | None]:
    response = await client.get("/api/companies/me", headers=bearer(tokens["access_token"]))
    return response.status_code, response.json().get("code")


async def test_log_out_ends_this_session_only(client: httpx.AsyncClient) -> None:
    laptop = await register(client, email="ana@example.com")
    phone = await log_in(client, "ana@example.com")

    response = await client.post("/api/auth/logout", headers=bearer(laptop["access_token"]))

    assert response.status_code == 204
    assert await me(client, laptop) == (401, "session_revoked")
    assert (await refreshed(client, laptop)).json()["code"] == "invalid_refresh_token"
    assert await me(client, phone) == (200, None)
    assert (await refreshed(client, phone)).status_code == 200


async def test_log_out_everywhere_ends_every_session_and_its_access_tokens(
    client: httpx.AsyncClient,
) -> None:
    laptop = await register(client, email="ana@example.com")
    phone = await log_in(client, "ana@example.com")
    rotated = (await refreshed(client, phone)).json()
    colleague = await register(client, email="bia@example.com")

    response = await client.post(
        "/api/auth/logout-everywhere", headers=bearer(laptop["access_token"])
    )

    assert response.status_code == 204
    for tokens in (laptop, phone, rotated):
        assert await me(client, tokens) == (401, "session_revoked")
    for tokens in (laptop, rotated):
        assert (await refreshed(client, tokens)).json()["code"] == "invalid_refresh_token"
    assert await me(client, colleague) == (200, None)
    assert (await log_in(client, "ana@example.com"))["access_token"]


async def test_a_session_ends_a_fixed_time_after_its_log_in_however_often_refreshed(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    tokens = await register(client)

    clock.advance(days=20)
    tokens = (await refreshed(client, tokens)).json()
    clock.advance(days=9, hours=23)
    tokens = (await refreshed(client, tokens)).json()
    clock.advance(hours=1)
    too_late = await refreshed(client, tokens)

    assert too_late.status_code == 401
    assert too_late.json()["code"] == "invalid_refresh_token"


async def test_a_refresh_retried_within_the_grace_gets_the_same_tokens(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    tokens = await register(client)
    first = await refreshed(client, tokens)

    clock.advance(seconds=10)
    retried = await refreshed(client, tokens)

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert await me(client, first.json()) == (200, None)
    assert (await refreshed(client, first.json())).status_code == 200


async def test_a_refresh_token_reused_after_the_grace_ends_its_session(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    tokens = await register(client)
    successor = (await refreshed(client, tokens)).json()

    clock.advance(seconds=11)
    reused = await refreshed(client, tokens)

    assert reused.json()["code"] == "invalid_refresh_token"
    assert (await refreshed(client, successor)).json()["code"] == "invalid_refresh_token"
    assert await me(client, successor) == (401, "session_revoked")


async def test_log_out_needs_a_live_session(client: httpx.AsyncClient) -> None:
    tokens = await register(client)
    await client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))

    again = await client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
    anonymous = await client.post("/api/auth/logout")

    assert (again.status_code, again.json()["code"]) == (401, "session_revoked")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "token_missing")


def session_of(tokens: dict[str, Any]) -> str:
    """The log-in an access token belongs to (its `sid` claim)."""
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return str(claims["sid"])


async def revocations(database: Database, user_id: str) -> list[str | None]:
    """The log-ins of the user announced as ended (None: every one), oldest first."""
    envelopes = await published(database, "billing.session.revoked")
    return [e["data"]["session_id"] for e in envelopes if e["data"]["user_id"] == user_id]


async def test_every_ended_log_in_is_announced_to_the_other_services(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    laptop = await register(client, email="ana@example.com")
    phone = await log_in(client, "ana@example.com")
    tablet = await log_in(client, "ana@example.com")
    user_id = laptop["user"]["id"]
    sessions = {name: session_of(tokens) for name, tokens in [("laptop", laptop), ("phone", phone)]}

    await client.post("/api/auth/logout", headers=bearer(laptop["access_token"]))
    await refreshed(client, phone)
    clock.advance(seconds=11)
    await refreshed(client, phone)  # reused after the grace: its log-in ends
    await client.post("/api/auth/logout-everywhere", headers=bearer(tablet["access_token"]))

    assert await revocations(database, user_id) == [sessions["laptop"], sessions["phone"], None]
