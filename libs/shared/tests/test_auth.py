"""Access tokens: issuing, verifying, the FastAPI dependencies and company scoping."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import jwt
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from finhub_shared.auth import (
    CompanyOwned,
    CurrentPrincipal,
    Principal,
    TokenIssuer,
    TokenVerifier,
    ensure_owned,
    generate_signing_keypair,
    require_role,
    scoped,
)
from finhub_shared.db import new_metadata
from finhub_shared.errors import FinhubError, NotFound, Unauthorized, install_error_handlers
from finhub_shared.settings import TokenVerificationSettings

ISSUER = "finhub-billing"
AUDIENCE = "finhub"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SCRATCH_DATABASE = "finhub_auth_test"


@dataclass(frozen=True)
class Keys:
    private_pem: str
    public_pem: str


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(*generate_signing_keypair())


@pytest.fixture
def issuer(keys: Keys) -> TokenIssuer:
    return TokenIssuer(keys.private_pem, ISSUER, AUDIENCE)


@pytest.fixture
def verifier(keys: Keys) -> TokenVerifier:
    return TokenVerifier(keys.public_pem, ISSUER, AUDIENCE)


def _claims(**overrides: Any) -> dict[str, Any]:
    """Valid access-token claims; an override of None drops that claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid4()),
        "company_id": str(uuid4()),
        "role": "member",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid4()),
        "typ": "access",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(claims: dict[str, Any], private_pem: str) -> str:
    return jwt.encode(claims, private_pem, algorithm="EdDSA")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


# Tokens an attacker or a misconfiguration could present; each must be refused as token_invalid.


def _signed_with_another_key(keys: Keys) -> str:
    other_private_pem, _ = generate_signing_keypair()
    return _sign(_claims(), other_private_pem)


def _for_another_audience(keys: Keys) -> str:
    return _sign(_claims(aud="someone-else"), keys.private_pem)


def _from_another_issuer(keys: Keys) -> str:
    return _sign(_claims(iss="evil-issuer"), keys.private_pem)


def _with_tampered_payload(keys: Keys) -> str:
    header, _, signature = _sign(_claims(role="member"), keys.private_pem).split(".")
    return ".".join([header, _b64_json(_claims(role="owner")), signature])


def _with_alg_none(keys: Keys) -> str:
    return f"{_b64_json({'alg': 'none', 'typ': 'JWT'})}.{_b64_json(_claims())}."


def _hmac_keyed_with_public_key(keys: Keys) -> str:
    signing_input = f"{_b64_json({'alg': 'HS256', 'typ': 'JWT'})}.{_b64_json(_claims())}"
    mac = hmac.new(keys.public_pem.encode(), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{_b64(mac.digest())}"


def _refresh_token(keys: Keys) -> str:
    return _sign(_claims(typ="refresh"), keys.private_pem)


def _without_type(keys: Keys) -> str:
    return _sign(_claims(typ=None), keys.private_pem)


def _without_company(keys: Keys) -> str:
    return _sign(_claims(company_id=None), keys.private_pem)


def _without_expiry(keys: Keys) -> str:
    return _sign(_claims(exp=None), keys.private_pem)


def _with_unknown_role(keys: Keys) -> str:
    return _sign(_claims(role="superuser"), keys.private_pem)


def _with_user_id_not_a_uuid(keys: Keys) -> str:
    return _sign(_claims(sub="42"), keys.private_pem)


def _issued_in_the_future(keys: Keys) -> str:
    later = int(time.time()) + 3600
    return _sign(_claims(iat=later, exp=later + 300), keys.private_pem)


def _not_a_jwt(keys: Keys) -> str:
    return "definitely-not.a-jwt"


REFUSED_TOKENS = [
    _signed_with_another_key,
    _for_another_audience,
    _from_another_issuer,
    _with_tampered_payload,
    _with_alg_none,
    _hmac_keyed_with_public_key,
    _refresh_token,
    _without_type,
    _without_company,
    _without_expiry,
    _with_unknown_role,
    _with_user_id_not_a_uuid,
    _issued_in_the_future,
    _not_a_jwt,
]


def _assert_refused(verifier: TokenVerifier, token: str, code: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    error = caught.value
    assert (error.status_code, error.code) == (401, code)
    assert token not in json.dumps(error.to_body())
    assert token not in str(error)


def test_an_issued_token_verifies_to_the_same_principal(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    user_id, company_id = uuid4(), uuid4()
    before = datetime.now(UTC)

    token, expires_at = issuer.issue(user_id=user_id, company_id=company_id, role="admin")
    principal = verifier.verify(token)

    assert (principal.user_id, principal.company_id, principal.role) == (
        user_id,
        company_id,
        "admin",
    )
    assert principal.token_id
    assert before + timedelta(seconds=899) <= expires_at <= before + timedelta(seconds=901)


def test_every_token_gets_its_own_id(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    user_id, company_id = uuid4(), uuid4()
    first, _ = issuer.issue(user_id=user_id, company_id=company_id, role="owner")
    second, _ = issuer.issue(user_id=user_id, company_id=company_id, role="owner")

    assert verifier.verify(first).token_id != verifier.verify(second).token_id


def test_expired_token_is_refused_as_expired(keys: Keys, verifier: TokenVerifier) -> None:
    now = int(time.time())
    token = _sign(_claims(iat=now - 1000, exp=now - 60), keys.private_pem)

    _assert_refused(verifier, token, "token_expired")


def test_small_clock_skew_is_tolerated(keys: Keys, verifier: TokenVerifier) -> None:
    now = int(time.time())
    token = _sign(_claims(iat=now - 900, exp=now - 3), keys.private_pem)

    assert verifier.verify(token).role == "member"


@pytest.mark.parametrize("forge", REFUSED_TOKENS, ids=lambda forge: forge.__name__.lstrip("_"))
def test_untrustworthy_token_is_refused_as_invalid(
    keys: Keys, verifier: TokenVerifier, forge: Callable[[Keys], str]
) -> None:
    _assert_refused(verifier, forge(keys), "token_invalid")


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(_claims())), value=_JSON_VALUES)
def test_any_claim_value_in_a_signed_token_is_accepted_or_refused_with_401(
    keys: Keys, verifier: TokenVerifier, name: str, value: Any
) -> None:
    # Signed by hand: pyjwt's own encoder refuses some of these values before we could test them.
    payload = json.dumps({**_claims(), name: value}).encode()
    token = jwt.api_jws.encode(payload, keys.private_pem, algorithm="EdDSA")

    # Accepting or refusing with a 401 are both fine; any other exception would be a 500.
    with contextlib.suppress(Unauthorized):
        verifier.verify(token)


def test_empty_token_is_refused_as_missing(verifier: TokenVerifier) -> None:
    with pytest.raises(Unauthorized) as caught:
        verifier.verify("")

    assert (caught.value.status_code, caught.value.code) == (401, "token_missing")


def test_issuer_refuses_an_unknown_role(issuer: TokenIssuer) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        issuer.issue(user_id=uuid4(), company_id=uuid4(), role="superuser")


def test_verifier_refuses_a_key_that_is_not_ed25519(keys: Keys) -> None:
    with pytest.raises(ValueError, match="JWT_PUBLIC_KEY"):
        TokenVerifier("not a key", ISSUER, AUDIENCE)
    with pytest.raises(ValueError, match="JWT_PRIVATE_KEY"):
        TokenIssuer(keys.public_pem, ISSUER, AUDIENCE)


def test_verifier_from_settings_reads_an_escaped_pem(
    keys: Keys, issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_PUBLIC_KEY", keys.public_pem.replace("\n", "\\n"))
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    verifier = TokenVerifier.from_settings(TokenVerificationSettings())
    token, _ = issuer.issue(user_id=uuid4(), company_id=uuid4(), role="owner")

    assert verifier.verify(token).role == "owner"


# The FastAPI dependencies, through a real app.


def _app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {
            "user_id": str(principal.user_id),
            "company_id": str(principal.company_id),
            "role": principal.role,
        }

    @app.post("/plan")
    async def change_plan(
        principal: Annotated[Principal, Depends(require_role("owner", "admin"))],
    ) -> dict[str, str]:
        return {"changed_by": str(principal.user_id)}

    return app


@pytest_asyncio.fixture
async def client(verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no header", "no token", "not bearer"],
)
async def test_request_without_a_bearer_token_is_401_token_missing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/me", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "token_missing"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.asyncio
async def test_route_sees_the_principal_of_a_good_token(
    client: httpx.AsyncClient, issuer: TokenIssuer
) -> None:
    user_id, company_id = uuid4(), uuid4()
    token, _ = issuer.issue(user_id=user_id, company_id=company_id, role="member")

    response = await client.get("/me", headers=_bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "user_id": str(user_id),
        "company_id": str(company_id),
        "role": "member",
    }


@pytest.mark.asyncio
async def test_bad_tokens_get_their_code_and_never_see_it_echoed(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    now = int(time.time())
    expired = _sign(_claims(iat=now - 1000, exp=now - 60), keys.private_pem)
    forged = _hmac_keyed_with_public_key(keys)

    for token, code in [(expired, "token_expired"), (forged, "token_invalid")]:
        response = await client.get("/me", headers=_bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, code)
        assert token not in response.text


@pytest.mark.asyncio
async def test_require_role_lets_owners_and_admins_through(
    client: httpx.AsyncClient, issuer: TokenIssuer
) -> None:
    for role in ("owner", "admin"):
        token, _ = issuer.issue(user_id=uuid4(), company_id=uuid4(), role=role)
        response = await client.post("/plan", headers=_bearer(token))
        assert response.status_code == 200


@pytest.mark.asyncio
async def test_require_role_refuses_a_member_with_403(
    client: httpx.AsyncClient, issuer: TokenIssuer
) -> None:
    token, _ = issuer.issue(user_id=uuid4(), company_id=uuid4(), role="member")

    response = await client.post("/plan", headers=_bearer(token))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


@pytest.mark.asyncio
async def test_require_role_still_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/plan")

    assert (response.status_code, response.json()["code"]) == (401, "token_missing")


def test_require_role_refuses_an_unknown_role() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        require_role("owner", "root")


# Company scoping, against the real PostgreSQL.


class _Base(DeclarativeBase):
    metadata = new_metadata()


class _Note(CompanyOwned, _Base):
    __tablename__ = "auth_test_notes"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    title: Mapped[str]


@pytest_asyncio.fixture(scope="session")
async def scratch_database_url() -> str:
    connection = await asyncpg.connect(SERVER_URL)
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", SCRATCH_DATABASE
        )
        if not exists:
            # Another test run may create it between our check and our CREATE.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
    finally:
        await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{SCRATCH_DATABASE}"


@pytest_asyncio.fixture
async def session(scratch_database_url: str) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction, table included, rolled back at the end."""
    engine = create_async_engine(scratch_database_url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.run_sync(_Base.metadata.create_all)
            async with AsyncSession(bind=connection, expire_on_commit=False) as session:
                yield session
            await transaction.rollback()
    finally:
        await engine.dispose()


def _principal(company_id: UUID) -> Principal:
    return Principal(user_id=uuid4(), company_id=company_id, role="member", token_id="t")


async def _add_note(session: AsyncSession, company_id: UUID, title: str) -> _Note:
    note = _Note(company_id=company_id, title=title)
    session.add(note)
    await session.flush()
    return note


@pytest.mark.asyncio
async def test_scoped_query_returns_only_the_callers_company_rows(session: AsyncSession) -> None:
    ours, theirs = uuid4(), uuid4()
    await _add_note(session, ours, "ours 1")
    await _add_note(session, ours, "ours 2")
    await _add_note(session, theirs, "theirs")

    statement = scoped(select(_Note.title), _Note, _principal(ours)).order_by(_Note.title)
    titles = (await session.scalars(statement)).all()

    assert titles == ["ours 1", "ours 2"]


@pytest.mark.asyncio
async def test_ensure_owned_returns_the_callers_own_row(session: AsyncSession) -> None:
    ours = uuid4()
    note = await _add_note(session, ours, "ours")

    found = await session.get(_Note, note.id)

    assert ensure_owned(found, _principal(ours), "note") is note


@pytest.mark.asyncio
async def test_another_companys_row_looks_exactly_like_a_missing_one(
    session: AsyncSession,
) -> None:
    ours, theirs = uuid4(), uuid4()
    their_note = await _add_note(session, theirs, "theirs")

    def refusal(found: _Note | None) -> FinhubError:
        with pytest.raises(NotFound) as caught:
            ensure_owned(found, _principal(ours), "note")
        return caught.value

    other_company = refusal(await session.get(_Note, their_note.id))
    missing = refusal(await session.get(_Note, uuid4()))

    assert other_company.status_code == 404
    assert (
        other_company.to_body()
        == missing.to_body()
        == {
            "code": "not_found",
            "message": "No such note.",
        }
    )
