"""Every route but log-in and the plans asks for an access token billing issued, and refuses any
other with a 401 and a stable code; refresh tokens work once, then never again."""

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
from sqlalchemy import update

from billing.accounts.models import RefreshToken
from finhub_dev.testing import outcome
from finhub_shared.auth import TokenIssuer, generate_signing_keypair
from finhub_shared.db import Database

from .conftest import FrozenClock, row_counts
from .helpers import bearer, register

pytestmark = pytest.mark.asyncio

PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("GET", "/api/payments/plans"),
    ("GET", "/api/auth/legal-documents"),
}


def routes(app: FastAPI) -> dict[tuple[str, str], bool]:
    """Each (method, path) of the OpenAPI, ids filled with fresh UUIDs (or 1), and whether it
    asks for a token."""

    def filled(path: str) -> str:
        return re.sub(r"\{notification_id\}", "1", re.sub(r"\{\w+_id\}", str(uuid.uuid4()), path))

    return {
        (method.upper(), filled(path)): "security" in operation
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    }


def forged(**claims: Any) -> str:
    """A token signed with billing's own key, carrying `claims` over those of a valid one."""
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "company_id": str(uuid.uuid4()),
        "role": "owner",
        "iss": os.environ.get("JWT_ISSUER", "finhub-billing"),
        "aud": os.environ.get("JWT_AUDIENCE", "finhub"),
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": str(uuid.uuid4()),
        "typ": "access",
        **claims,
    }
    key = load_pem_private_key(os.environ["JWT_PRIVATE_KEY"].encode(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return jwt.encode(payload, key, algorithm="EdDSA")


async def test_only_log_in_and_the_plans_are_public(app: FastAPI) -> None:
    public = {route for route, needs_token in routes(app).items() if not needs_token}

    assert public == PUBLIC


async def test_every_route_refuses_a_missing_or_unusable_token(
    app: FastAPI, lenient_client: httpx.AsyncClient, database: Database
) -> None:
    registered = await register(lenient_client)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    other_key, _ = generate_signing_keypair()
    another_issuer = TokenIssuer(other_key, "finhub-billing", "finhub")
    headers: dict[str, tuple[dict[str, str], str]] = {
        "no header": ({}, "token_missing"),
        "empty bearer": ({"Authorization": "Bearer "}, "token_missing"),
        "basic auth": ({"Authorization": "Basic dXNlcjpwYXNz"}, "token_missing"),
        "expired": (bearer(forged(iat=long_ago, exp=long_ago)), "token_expired"),
        "signed by another key": (
            bearer(
                another_issuer.issue(
                    user_id=uuid.uuid4(), company_id=uuid.uuid4(), role="owner"
                ).token
            ),
            "token_invalid",
        ),
        "a refresh token": (bearer(registered["refresh_token"]), "token_invalid"),
        "typ refresh": (bearer(forged(typ="refresh")), "token_invalid"),
        "another audience": (bearer(forged(aud="elsewhere")), "token_invalid"),
        "company not a uuid": (bearer(forged(company_id="acme")), "token_invalid"),
        "garbage": (bearer("not.a.jwt"), "token_invalid"),
        "NUL": (bearer("abc\x00def"), "token_invalid"),
    }
    protected = [route for route, needs_token in routes(app).items() if needs_token]
    before = await row_counts(database)

    outcomes = {
        (case, method, path): outcome(
            await lenient_client.request(method, path, json={}, headers=header)
        )
        for case, (header, _) in headers.items()
        for method, path in protected
    }

    assert len(protected) == 26
    assert outcomes == {
        (case, method, path): (401, code)
        for case, (_, code) in headers.items()
        for method, path in protected
    }
    assert await row_counts(database) == before


async def test_a_refresh_token_used_up_revoked_or_expired_is_refused(
    client: httpx.AsyncClient, database: Database, clock: FrozenClock
) -> None:
    first = (await register(client))["refresh_token"]
    second = (await client.post("/api/auth/refresh", json={"refresh_token": first})).json()
    clock.advance(seconds=11)  # past the grace that answers a retry again
    expired = await register(client)
    async with database.transaction() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == uuid.UUID(expired["user"]["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    # Reusing `first` revokes its whole family, `second` included.
    tokens = {
        "used once already": first,
        "rotated, after its predecessor was reused": second["refresh_token"],
        "expired": expired["refresh_token"],
    }

    outcomes = {
        case: outcome(await client.post("/api/auth/refresh", json={"refresh_token": token}))
        for case, token in tokens.items()
    }

    assert outcomes == dict.fromkeys(tokens, (401, "invalid_refresh_token"))
