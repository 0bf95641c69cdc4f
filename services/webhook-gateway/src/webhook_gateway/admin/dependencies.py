"""The operator's bearer token (ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from webhook_gateway.admin.errors import AdminTokenRequired

_bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN")


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with `Authorization: Bearer <ADMIN_TOKEN>`."""
    expected = request.app.state.settings.admin_token.get_secret_value().encode()
    presented = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(presented, expected):
        raise AdminTokenRequired("The admin token is missing or wrong.")
