"""Registration, log-in, refresh and the caller's company, through the HTTP API."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from uuid import UUID

import httpx
import pytest

from finhub_shared.auth import TokenVerifier

from ..conftest import FrozenClock
from ..helpers import STRONG_PASSWORD, bearer, register

pytestmark = pytest.mark.asyncio


def verifier() -> TokenVerifier:
    return TokenVerifier(os.environ["JWT_PUBLIC_KEY"], "finhub-billing", "finhub")


async def test_registration_creates_company_owner_and_tokens(client: httpx.AsyncClient) -> None:
    body = await register(client, email="Ana@Example.com", company_name="Padaria Boa")

    assert body["user"]["email"] == "ana@example.com"
    assert body["user"]["role"] == "owner"
    assert body["company"]["name"] == "Padaria Boa"
    assert body["token_type"] == "bearer"
    principal = verifier().verify(body["access_token"])
    assert principal.company_id == UUID(body["company"]["id"])
    assert principal.user_id == UUID(body["user"]["id"])
    assert principal.role == "owner"


async def test_a_new_company_is_on_a_14_day_trial_with_professional_limits(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = await register(client)

    response = await client.get("/api/payments/subscription/", headers=bearer(body["access_token"]))

    assert response.status_code == 200
    subscription = response.json()
    assert subscription["status"] == "trial"
    assert subscription["plan"]["slug"] == "professional"
    trial_end = datetime.fromisoformat(subscription["trial_ends_at"])
    assert trial_end == clock.now + timedelta(days=14)
    assert subscription["limits"] == {
        "bank_accounts": 10,
        "transactions_per_month": 5000,
        "ai_insights": True,
        "insights": "standard",
    }


async def test_an_email_registers_once_whatever_its_case(client: httpx.AsyncClient) -> None:
    await register(client, email="dup@example.com")

    response = await client.post(
        "/api/auth/register",
        json={
            "email": "DUP@example.com",
            "password": STRONG_PASSWORD,
            "name": "Other",
            "company_name": "Other",
        },
    )

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("a@example.com", "short1"),
        ("a@example.com", "onlyletterslong"),
        ("a@example.com", "aaaaaaaaaaaa1"),
        ("longpassword1@example.com", "longpassword1"),
    ],
)
async def test_weak_passwords_are_refused_without_repeating_them(
    client: httpx.AsyncClient, email: str, password: str
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": password, "name": "A", "company_name": "B"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert password not in response.text


async def test_a_bad_email_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": "not-an-email",
            "password": STRONG_PASSWORD,
            "name": "A",
            "company_name": "B",
        },
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert STRONG_PASSWORD not in response.text


async def test_log_in_with_the_right_password(client: httpx.AsyncClient) -> None:
    body = await register(client, email="login@example.com")

    response = await client.post(
        "/api/auth/login", json={"email": "LOGIN@example.com", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 200
    assert verifier().verify(response.json()["access_token"]).user_id == UUID(body["user"]["id"])


@pytest.mark.parametrize("email", ["login@example.com", "nobody@example.com"])
async def test_wrong_credentials_answer_401_alike(client: httpx.AsyncClient, email: str) -> None:
    await register(client, email="login@example.com")

    response = await client.post(
        "/api/auth/login", json={"email": email, "password": "wrong-pass-1"}
    )

    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "The email or the password is wrong.",
    }


async def test_too_many_failures_block_even_the_right_password(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    await register(client, email="guessed@example.com")
    for _ in range(5):
        wrong = {"email": "guessed@example.com", "password": "wrong-pass-1"}
        assert (await client.post("/api/auth/login", json=wrong)).status_code == 401

    response = await client.post(
        "/api/auth/login", json={"email": "guessed@example.com", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_login_attempts"
    assert 0 < int(response.headers["Retry-After"]) <= 900


async def test_a_successful_log_in_resets_the_failure_count(client: httpx.AsyncClient) -> None:
    await register(client, email="careless@example.com")
    wrong = {"email": "careless@example.com", "password": "wrong-pass-1"}
    right = {"email": "careless@example.com", "password": STRONG_PASSWORD}
    for _ in range(4):
        await client.post("/api/auth/login", json=wrong)
    assert (await client.post("/api/auth/login", json=right)).status_code == 200

    for _ in range(4):
        await client.post("/api/auth/login", json=wrong)

    assert (await client.post("/api/auth/login", json=right)).status_code == 200


async def test_a_refresh_token_works_once_and_gives_new_tokens(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = await register(client)

    first = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    clock.advance(seconds=11)
    again = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})

    assert first.status_code == 200
    assert first.json()["refresh_token"] != body["refresh_token"]
    assert verifier().verify(first.json()["access_token"]).company_id == UUID(body["company"]["id"])
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_refresh_token"


async def test_reusing_a_refresh_token_revokes_its_successors(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body = await register(client)
    rotated = await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    clock.advance(seconds=11)

    await client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )

    assert response.status_code == 401


async def test_an_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/refresh", json={"refresh_token": "made-up"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"


async def test_my_company_shows_role_and_subscription(client: httpx.AsyncClient) -> None:
    body = await register(client, company_name="Oficina Zé")

    response = await client.get("/api/companies/me", headers=bearer(body["access_token"]))

    assert response.status_code == 200
    me = response.json()
    assert me["company"]["name"] == "Oficina Zé"
    assert me["role"] == "owner"
    assert me["user"]["id"] == body["user"]["id"]
    assert me["subscription"]["status"] == "trial"
    assert me["subscription"]["plan"]["slug"] == "professional"


@pytest.mark.parametrize(
    "path", ["/api/companies/me", "/api/payments/subscription/", "/api/notifications/"]
)
async def test_endpoints_need_an_access_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"
