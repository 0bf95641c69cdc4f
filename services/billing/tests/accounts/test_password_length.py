"""A password longer than the limit is refused before it is hashed, wherever one is taken."""

from __future__ import annotations

import httpx
import pytest

from billing.accounts import security
from billing.accounts.errors import PasswordTooLong

from ..helpers import STRONG_PASSWORD, register

pytestmark = pytest.mark.asyncio

# About a megabyte, just under the limit on request bodies: argon2 over it would tie up a worker.
HUGE_PASSWORD = "x1" * 500_000
TOO_LONG = "x1" * 129  # 258 characters, two over the limit


@pytest.mark.parametrize("password", [HUGE_PASSWORD, TOO_LONG], ids=["1 MB", "258 characters"])
async def test_registration_refuses_a_password_over_the_limit(
    client: httpx.AsyncClient, password: str
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "a@example.com", "password": password, "name": "A", "company_name": "B"},
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "password_too_long",
        "message": "The password must have at most 256 characters.",
    }


@pytest.mark.parametrize("email", ["known@example.com", "nobody@example.com"])
async def test_log_in_refuses_a_password_over_the_limit_without_counting_it(
    client: httpx.AsyncClient, email: str
) -> None:
    await register(client, email="known@example.com")

    answers = [
        await client.post("/api/auth/login", json={"email": email, "password": HUGE_PASSWORD})
        for _ in range(6)
    ]
    right = await client.post(
        "/api/auth/login", json={"email": "known@example.com", "password": STRONG_PASSWORD}
    )

    assert {(answer.status_code, answer.json()["code"]) for answer in answers} == {
        (422, "password_too_long")
    }
    assert all(len(answer.content) < 200 for answer in answers)
    assert right.status_code == 200


async def test_the_hasher_itself_refuses_a_password_over_the_limit() -> None:
    stored = await security.hash_password(STRONG_PASSWORD)

    with pytest.raises(PasswordTooLong):
        await security.hash_password(HUGE_PASSWORD)
    with pytest.raises(PasswordTooLong):
        await security.password_matches(stored, HUGE_PASSWORD)
    with pytest.raises(PasswordTooLong):
        await security.spend_verification_time(HUGE_PASSWORD)
    assert await security.password_matches(stored, "x" * 256) is False
