"""The live stream lives no longer than its access token and its session, and a user holds at
most three at once."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack

import httpx
import pytest

from ..conftest import FrozenClock
from ..helpers import bearer, register

pytestmark = pytest.mark.asyncio

STREAM = "/api/notifications/stream"


async def end_reason(stream: httpx.Response) -> str:
    """The reason the server's last message gives, once the stream ends."""
    lines = []
    async with asyncio.timeout(5):
        async for line in stream.aiter_lines():
            lines.append(line)
    assert lines[-3:-1][0] == "event: end", lines
    reason: str = json.loads(lines[-2].removeprefix("data: "))["reason"]
    return reason


async def status_of_opening(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """The status of a new stream, closed at once."""
    async with http.stream("GET", STREAM, headers=headers) as opened:
        return opened.status_code


async def test_the_stream_ends_when_its_access_token_expires(
    client: httpx.AsyncClient, clock: FrozenClock, served_app: str
) -> None:
    body = await register(client)

    async with (
        httpx.AsyncClient(base_url=served_app, timeout=10) as http,
        http.stream("GET", STREAM, headers=bearer(body["access_token"])) as stream,
    ):
        assert stream.status_code == 200
        clock.advance(minutes=15)

        assert await end_reason(stream) == "token_expired"


async def test_the_stream_ends_when_its_session_logs_out(
    client: httpx.AsyncClient, served_app: str
) -> None:
    body = await register(client)
    headers = bearer(body["access_token"])

    async with (
        httpx.AsyncClient(base_url=served_app, timeout=10) as http,
        http.stream("GET", STREAM, headers=headers) as stream,
    ):
        assert stream.status_code == 200
        assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204

        assert await end_reason(stream) == "session_revoked"


async def test_a_fourth_stream_of_one_user_is_refused_until_one_closes(
    client: httpx.AsyncClient, served_app: str
) -> None:
    body = await register(client)
    headers = bearer(body["access_token"])
    other = bearer((await register(client))["access_token"])

    async with (
        httpx.AsyncClient(base_url=served_app, timeout=10) as http,
        AsyncExitStack() as open_,
    ):
        first = await open_.enter_async_context(http.stream("GET", STREAM, headers=headers))
        for _ in range(2):
            await open_.enter_async_context(http.stream("GET", STREAM, headers=headers))
        fourth = await http.get(STREAM, headers=headers)
        others = await open_.enter_async_context(http.stream("GET", STREAM, headers=other))

        assert (fourth.status_code, fourth.json()["code"]) == (429, "too_many_streams")
        assert fourth.headers["Retry-After"] == "30"
        assert others.status_code == 200

        await first.aclose()
        async with asyncio.timeout(5):
            while await status_of_opening(http, headers) == 429:
                await asyncio.sleep(0.05)
