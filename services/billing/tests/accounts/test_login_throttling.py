"""Log-in throttling: each attempt is counted before its password is checked, per email from one
address and per email from anywhere; past the free failures each attempt waits a doubling delay."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from billing.accounts.jobs import forget_quiet_throttles
from billing.accounts.models import LoginThrottle
from finhub_shared.db import Database

from ..conftest import FrozenClock
from ..helpers import STRONG_PASSWORD, register

pytestmark = pytest.mark.asyncio

EMAIL = "target@example.com"
WRONG = {"email": EMAIL, "password": "wrong-pass-1"}
RIGHT = {"email": EMAIL, "password": STRONG_PASSWORD}

ClientFrom = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_from(app: FastAPI) -> ClientFrom:
    """A client whose requests come from the given IP address."""

    @asynccontextmanager
    async def opened(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return opened


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["code"]
    return code


async def test_thirty_concurrent_guesses_get_at_most_five_checked(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    await register(client, email=EMAIL)

    answers = await asyncio.gather(*(client.post("/api/auth/login", json=WRONG) for _ in range(30)))
    right = await client.post("/api/auth/login", json=RIGHT)

    assert Counter(code_of(answer) for answer in answers) == {
        "invalid_credentials": 5,
        "too_many_login_attempts": 25,
    }
    assert code_of(right) == "too_many_login_attempts"
    async with database.sessions() as session:
        attempts = (await session.execute(select(LoginThrottle.attempts))).scalars().all()
    assert attempts == [5, 5]  # from this address, and from anywhere


async def test_each_further_failure_doubles_the_delay_up_to_its_cap(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await register(client, email=EMAIL)
    for _ in range(5):
        assert code_of(await client.post("/api/auth/login", json=WRONG)) == "invalid_credentials"

    delays = []
    for _ in range(11):
        refused = await client.post("/api/auth/login", json=WRONG)
        assert code_of(refused) == "too_many_login_attempts"
        delays.append(int(refused.headers["Retry-After"]))
        clock.advance(seconds=delays[-1])
        assert code_of(await client.post("/api/auth/login", json=WRONG)) == "invalid_credentials"

    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    clock.advance(seconds=300)
    assert (await client.post("/api/auth/login", json=RIGHT)).status_code == 200


async def test_a_strangers_guesses_do_not_lock_the_user_out(
    client: httpx.AsyncClient, client_from: ClientFrom, clock: FrozenClock
) -> None:
    await register(client, email=EMAIL)
    async with client_from("203.0.113.7") as stranger, client_from("198.51.100.2") as user:
        for _ in range(5):
            await stranger.post("/api/auth/login", json=WRONG)
        stranger_again = await stranger.post("/api/auth/login", json=RIGHT)

        user_logs_in = await user.post("/api/auth/login", json=RIGHT)

    assert code_of(stranger_again) == "too_many_login_attempts"
    assert user_logs_in.status_code == 200


async def test_guesses_from_many_addresses_slow_the_account_briefly(
    client: httpx.AsyncClient, client_from: ClientFrom, clock: FrozenClock
) -> None:
    await register(client, email=EMAIL)
    for number in range(20):
        async with client_from(f"192.0.2.{number}") as guesser:
            assert code_of(await guesser.post("/api/auth/login", json=WRONG)) == (
                "invalid_credentials"
            )

    async with client_from("198.51.100.2") as user:
        slowed = await user.post("/api/auth/login", json=RIGHT)
        clock.advance(seconds=1)
        logged_in = await user.post("/api/auth/login", json=RIGHT)

    assert (code_of(slowed), slowed.headers["Retry-After"]) == ("too_many_login_attempts", "1")
    assert logged_in.status_code == 200


async def test_failures_are_forgotten_after_a_quiet_window(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await register(client, email=EMAIL)
    for _ in range(5):
        await client.post("/api/auth/login", json=WRONG)

    clock.advance(seconds=900)
    answers = [await client.post("/api/auth/login", json=WRONG) for _ in range(5)]

    assert {code_of(answer) for answer in answers} == {"invalid_credentials"}


async def test_the_worker_forgets_throttles_gone_quiet_and_keeps_those_still_counting(
    client: httpx.AsyncClient, client_from: ClientFrom, database: Database, clock: FrozenClock
) -> None:
    async with client_from("203.0.113.7") as stranger:
        for _ in range(7):  # past the free failures: the last ones wait a growing delay
            await stranger.post("/api/auth/login", json={**WRONG, "email": "nobody@example.com"})
    clock.advance(seconds=600)
    await client.post("/api/auth/login", json=WRONG)

    clock.advance(seconds=400)  # the stranger's guesses are 1,000 s old, ours 400 s
    forgotten = await forget_quiet_throttles(database, window_seconds=900, now=clock.now)

    async with database.sessions() as session:
        kept = (await session.execute(select(LoginThrottle.email))).scalars().all()
    assert forgotten == 2  # the stranger's, from that address and from anywhere
    assert set(kept) == {EMAIL}
