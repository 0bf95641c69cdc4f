"""Access tokens: billing issues short-lived Ed25519-signed JWTs, every service verifies them.

Verification needs only the public key, so no service calls billing to check a token.
Every query a request runs is limited to the caller's company with `scoped` and `ensure_owned`.

Roles, from most to least trusted: owner, admin, member, viewer. A route that changes data takes
`ManagerPrincipal` (owner, admin: billing, plan, company settings), `WriterPrincipal` (also members:
day-to-day data) or `Annotated[Principal, Depends(require_role(...))]` instead of
`CurrentPrincipal`; any other role gets 403 `forbidden_role`. Viewers only read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple, Protocol, TypeVar, TypeVarTuple
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Mapped, mapped_column

from finhub_shared.errors import (
    ForbiddenRole,
    NotFound,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
)
from finhub_shared.settings import TokenVerificationSettings

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TYPE = "access"
ROLES = ("owner", "admin", "member", "viewer")
MANAGER_ROLES = ("owner", "admin")
WRITER_ROLES = ("owner", "admin", "member")

# The registered claims every access token must carry; pyjwt checks their values.
_REQUIRED_CLAIMS = ["sub", "iss", "aud", "iat", "exp", "jti"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, the company they act for, and their role in it."""

    user_id: UUID
    company_id: UUID
    role: str
    token_id: str
    # The log-in (refresh token family) the token was issued for, and when the token expires.
    session_id: UUID | None = None
    expires_at: datetime | None = None


class IssuedToken(NamedTuple):
    token: str
    expires_at: datetime


class _AccessClaims(BaseModel):
    """Our own claims, checked after pyjwt has checked the signature and registered claims."""

    sub: UUID
    company_id: UUID
    role: Literal["owner", "admin", "member", "viewer"]
    jti: str
    typ: Literal["access"]
    exp: datetime
    sid: UUID | None = None


def generate_signing_keypair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PEM, public PEM)."""
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


def _load_public_key(pem: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise ValueError("JWT_PUBLIC_KEY is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("JWT_PUBLIC_KEY must be an Ed25519 key")
    return key


def _load_private_key(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError:
        raise ValueError("JWT_PRIVATE_KEY is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("JWT_PRIVATE_KEY must be an Ed25519 key")
    return key


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


class TokenIssuer:
    """Signs access tokens; only billing holds the private key."""

    def __init__(
        self, private_key_pem: str, issuer: str, audience: str, ttl_seconds: int = 900
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._key = _load_private_key(private_key_pem)
        self._issuer = issuer
        self._audience = audience
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(
        self,
        *,
        user_id: UUID,
        company_id: UUID,
        role: str,
        session_id: UUID | None = None,
        issued_at: datetime | None = None,
        token_id: str | None = None,
    ) -> IssuedToken:
        """A signed access token for this user acting for this company, and when it expires.

        The same `issued_at` and `token_id` give the same token again (Ed25519 signatures are
        deterministic): a retried refresh gets back the very token whose answer it lost.
        """
        _check_role(role)
        # Whole seconds, so `expires_at` is exactly the `exp` the token carries.
        issued_at = (issued_at or datetime.now(UTC)).replace(microsecond=0)
        expires_at = issued_at + self._ttl
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "company_id": str(company_id),
            "role": role,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": issued_at,
            "exp": expires_at,
            "jti": token_id or str(uuid4()),
            "typ": ACCESS_TOKEN_TYPE,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        return IssuedToken(jwt.encode(claims, self._key, algorithm=ALGORITHM), expires_at)


class TokenVerifier:
    """Checks an access token offline with billing's public key."""

    def __init__(
        self, public_key_pem: str, issuer: str, audience: str, leeway_seconds: int = 10
    ) -> None:
        self._key = _load_public_key(public_key_pem)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    @classmethod
    def from_settings(cls, settings: TokenVerificationSettings) -> TokenVerifier:
        """The verifier a service builds in its lifespan from the JWT_* settings."""
        return cls(settings.jwt_public_key_pem, settings.jwt_issuer, settings.jwt_audience)

    def verify(self, token: str) -> Principal:
        """The caller the token names; raises Unauthorized, never echoing the token, if unusable."""
        if not token:
            raise TokenMissing("An access token is required.")
        try:
            payload = jwt.decode(
                token,
                self._key,
                # Only EdDSA, so neither "none" nor an HMAC keyed with our public key can pass.
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS, "strict_aud": True},
            )
            claims = _AccessClaims.model_validate(payload)
        except jwt.ExpiredSignatureError:
            raise TokenExpired("The access token has expired.") from None
        except (jwt.InvalidTokenError, ValidationError):
            raise TokenInvalid("The access token is not valid.") from None
        return Principal(
            user_id=claims.sub,
            company_id=claims.company_id,
            role=claims.role,
            token_id=claims.jti,
            session_id=claims.sid,
            expires_at=claims.exp,
        )


class SessionGuard(Protocol):
    """A check after the signature, for the service that keeps the sessions (billing sets one as
    `app.state.session_guard`); raises Unauthorized for a token whose session has ended."""

    async def check(self, principal: Principal) -> None: ...


# auto_error=False so a missing header is our own 401 JSON; the scheme still shows in /docs.
_bearer = HTTPBearer(auto_error=False, description="Access token issued by billing")


async def _current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise TokenMissing("Send the access token as 'Authorization: Bearer <token>'.")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.verify(credentials.credentials)
    # Services without a guard cannot see log-outs: there a token works for its short life.
    guard: SessionGuard | None = getattr(request.app.state, "session_guard", None)
    if guard is not None:
        await guard.check(principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the request through only when the caller has one of `roles`
    (403 `forbidden_role` otherwise): `Depends(require_role("owner", "admin"))`."""
    if not roles:
        raise ValueError("require_role needs at least one role")
    for role in roles:
        _check_role(role)

    async def principal_with_role(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise ForbiddenRole(f"This action needs one of the roles: {', '.join(roles)}.")
        return principal

    return principal_with_role


# What a route that changes data takes instead of `CurrentPrincipal`.
ManagerPrincipal = Annotated[Principal, Depends(require_role(*MANAGER_ROLES))]
WriterPrincipal = Annotated[Principal, Depends(require_role(*WRITER_ROLES))]


class CompanyOwned:
    """Mixin for tables whose rows belong to one company, for `scoped` and `ensure_owned`."""

    company_id: Mapped[UUID] = mapped_column(index=True)


OwnedT = TypeVar("OwnedT", bound=CompanyOwned)
Columns = TypeVarTuple("Columns")


def scoped(
    statement: Select[*Columns], model: type[CompanyOwned], principal: Principal
) -> Select[*Columns]:
    """The statement limited to rows of `model` that belong to the caller's company."""
    return statement.where(model.company_id == principal.company_id)


def ensure_owned(obj: OwnedT | None, principal: Principal, what: str) -> OwnedT:
    """The object if it belongs to the caller's company; otherwise 404, whether it exists or not."""
    # Another company's row answers exactly like a missing one, so ids cannot be probed.
    if obj is None or obj.company_id != principal.company_id:
        raise NotFound(f"No such {what}.")
    return obj
