"""Every route asks for billing's access token and refuses any other: 401 with a stable code."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from fastapi import FastAPI

from finhub_dev.testing import outcome
from finhub_shared.auth import TokenIssuer, generate_signing_keypair
from finhub_shared.db import Database

from .conftest import row_counts

ISSUER = os.environ.get("JWT_ISSUER", "finhub-billing")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "finhub")


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """Each (method, path) banking's OpenAPI lists, its ids filled with fresh UUIDs."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/banking/")
        for method in operations
    ]


def claims(**changes: Any) -> dict[str, Any]:
    """The claims of a valid access token, with `changes` (None removes a claim)."""
    now = datetime.now(UTC)
    valid: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "company_id": str(uuid.uuid4()),
        "role": "owner",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=15),
        "jti": str(uuid.uuid4()),
        "typ": "access",
    }
    valid.update(changes)
    return {name: value for name, value in valid.items() if value is not None}


def signed(payload: dict[str, Any]) -> str:
    """`payload` signed with billing's key, as billing would sign it."""
    key = load_pem_private_key(os.environ["JWT_PRIVATE_KEY"].encode(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return jwt.encode(payload, key, algorithm="EdDSA")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.asyncio
async def test_every_route_listed_in_the_openapi_needs_an_access_token(
    app: FastAPI, lenient_client: httpx.AsyncClient, database: Database
) -> None:
    routes = every_route(app)
    before = await row_counts(database)

    outcomes = {route: outcome(await lenient_client.request(*route, json={})) for route in routes}

    assert len(routes) >= 30
    assert outcomes == dict.fromkeys(routes, (401, "token_missing"))
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_tokens_billing_did_not_issue_or_that_expired_are_refused_everywhere(
    app: FastAPI, lenient_client: httpx.AsyncClient, database: Database
) -> None:
    other_private, _ = generate_signing_keypair()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    headers: dict[str, tuple[dict[str, str], str]] = {
        "expired": (bearer(signed(claims(iat=long_ago, exp=long_ago))), "token_expired"),
        "signed by another key": (
            bearer(
                TokenIssuer(other_private, ISSUER, AUDIENCE)
                .issue(user_id=uuid.uuid4(), company_id=uuid.uuid4(), role="owner")
                .token
            ),
            "token_invalid",
        ),
        "not signed (alg none)": (
            bearer(jwt.encode(claims(), key="", algorithm="none")),
            "token_invalid",
        ),
        "signed with HMAC": (
            bearer(jwt.encode(claims(), "a" * 32, algorithm="HS256")),
            "token_invalid",
        ),
        "another audience": (bearer(signed(claims(aud="elsewhere"))), "token_invalid"),
        "another issuer": (bearer(signed(claims(iss="someone-else"))), "token_invalid"),
        "a refresh token": (bearer(signed(claims(typ="refresh"))), "token_invalid"),
        "no company": (bearer(signed(claims(company_id=None))), "token_invalid"),
        "company not a uuid": (bearer(signed(claims(company_id="acme"))), "token_invalid"),
        "unknown role": (bearer(signed(claims(role="superuser"))), "token_invalid"),
        "no expiry": (bearer(signed(claims(exp=None))), "token_invalid"),
        "garbage": (bearer("not.a.jwt"), "token_invalid"),
        "empty bearer": ({"Authorization": "Bearer "}, "token_missing"),
        "another scheme": ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_missing"),
    }
    routes = every_route(app)
    before = await row_counts(database)

    outcomes = {
        (name, method, path): outcome(
            await lenient_client.request(method, path, json={}, headers=header)
        )
        for name, (header, _) in headers.items()
        for method, path in routes
    }

    assert outcomes == {
        (name, method, path): (401, code)
        for name, (_, code) in headers.items()
        for method, path in routes
    }
    assert await row_counts(database) == before


@pytest.mark.asyncio
async def test_a_refused_token_is_named_in_the_www_authenticate_header_never_echoed(
    client: httpx.AsyncClient,
) -> None:
    token = signed(claims(aud="elsewhere"))

    response = await client.get("/api/banking/items/", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert token not in response.text
