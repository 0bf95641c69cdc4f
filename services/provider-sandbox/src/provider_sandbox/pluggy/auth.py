"""`POST /auth` (API keys, 2 hours) and `POST /connect_token` (connect tokens, 30 minutes).

Both are JWTs, as Pluggy's are (its SDK decodes the API key to see when it expires), signed with
a key that lives only in this process; the sandbox still checks each one against what it issued.
Every other route is checked once by its router (`routes.py`): `api_key` for the application's
routes, `caller` for those the Connect widget calls too. An unknown or expired key is Pluggy's
403, and a connect token only reaches its own Items and their accounts (`Caller.require_item`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request
from pydantic import Field

from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.errors import (
    PluggyError,
    forbidden_for_connect_token,
    new_router,
    unauthenticated,
)
from provider_sandbox.pluggy.models import ConnectToken
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

API_KEY_LIFETIME = timedelta(hours=2)
CONNECT_TOKEN_LIFETIME = timedelta(minutes=30)

# `POST /auth` needs no key; `POST /connect_token` needs the application's.
public_router = new_router(tags=["Pluggy auth"])
router = new_router(tags=["Pluggy auth"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


class AuthRequest(CamelModel):
    client_id: str = Field(alias="clientId")
    client_secret: str = Field(alias="clientSecret")


class ConnectTokenOptions(CamelModel):
    client_user_id: str | None = Field(None, alias="clientUserId")
    webhook_url: str | None = Field(None, alias="webhookUrl")
    oauth_redirect_uri: str | None = Field(None, alias="oauthRedirectUri")
    avoid_duplicates: bool = Field(False, alias="avoidDuplicates")


class ConnectTokenRequest(CamelModel):
    item_id: str | None = Field(None, alias="itemId")
    options: ConnectTokenOptions = Field(default_factory=ConnectTokenOptions)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the application (API key) or the Connect widget (connect token)."""

    connect_token: ConnectToken | None = None

    @property
    def is_connect_token(self) -> bool:
        """Whether the call carries a connect token."""
        return self.connect_token is not None

    def require_api_key(self) -> None:
        """Refuse a connect token (the route needs the application's API key)."""
        if self.connect_token is not None:
            raise forbidden_for_connect_token()

    def require_item(self, item_id: str) -> None:
        """Refuse a connect token that did not create, and was not issued for, this item."""
        token = self.connect_token
        if token is not None and item_id not in token.item_ids and item_id != token.item_id:
            raise forbidden_for_connect_token()


_SIGNING_KEY = secrets.token_bytes(32)


def _issue(sandbox: PluggySandbox, lifetime: timedelta, **claims: Any) -> tuple[str, datetime]:
    now = sandbox.now()
    expires_at = now + lifetime
    payload = {**claims, "iat": int(now.timestamp()), "exp": int(expires_at.timestamp())}
    token = jwt.encode({**payload, "jti": secrets.token_hex(8)}, _SIGNING_KEY, algorithm="HS256")
    return token, expires_at


async def caller(
    request: Request, x_api_key: Annotated[str | None, Header(alias="X-API-KEY")] = None
) -> Caller:
    """The caller named by X-API-KEY; Pluggy's 403 when it is missing, unknown or expired."""
    sandbox = get_sandbox(request)
    if x_api_key is None:
        raise unauthenticated()
    now = sandbox.now()
    expires_at = sandbox.api_keys.get(x_api_key)
    if expires_at is not None and now < expires_at:
        return Caller()
    token = sandbox.connect_tokens.get(x_api_key)
    if token is not None and now < token.expires_at:
        return Caller(token)
    raise unauthenticated()


ApiCaller = Annotated[Caller, Depends(caller)]


async def api_key(who: ApiCaller) -> None:
    """Refuse a connect token: the application's API key is the only key the route takes."""
    who.require_api_key()


@public_router.post("/auth")
async def create_api_key(body: AuthRequest, sandbox: Sandbox) -> dict[str, str]:
    """An API key for two hours, for the configured client id and secret only."""
    id_matches = secrets.compare_digest(body.client_id.encode(), sandbox.client_id.encode())
    secret_matches = secrets.compare_digest(
        body.client_secret.encode(), sandbox.client_secret.encode()
    )
    if not (id_matches and secret_matches):
        raise PluggyError(401, "Client keys are invalid", "CLIENT_KEYS_UNAUTHORIZED")
    api_key, expires_at = _issue(sandbox, API_KEY_LIFETIME, clientId=sandbox.client_id)
    sandbox.api_keys[api_key] = expires_at
    return {"apiKey": api_key}


@router.post("/connect_token")
async def create_connect_token(
    sandbox: Sandbox, body: ConnectTokenRequest | None = None
) -> dict[str, str]:
    """A connect token for 30 minutes; with `itemId`, scoped to updating that item."""
    request = body or ConnectTokenRequest()
    if request.item_id is not None:
        sandbox.item(request.item_id)
    options = request.options
    access_token, expires_at = _issue(
        sandbox, CONNECT_TOKEN_LIFETIME, clientId=sandbox.client_id, itemId=request.item_id
    )
    sandbox.connect_tokens[access_token] = ConnectToken(
        token=access_token,
        expires_at=expires_at,
        item_id=request.item_id,
        client_user_id=options.client_user_id,
        webhook_url=options.webhook_url,
        avoid_duplicates=options.avoid_duplicates,
    )
    return {"accessToken": access_token}
