"""What every page shares: the templates, the session (signed cookie), the anti-forgery check,
and calls to the services with the session's user token or admin token."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from console import formatting
from console.errors import (
    AdminLoginRequired,
    CsrfRejected,
    InvalidInput,
    LoginRequired,
    ServiceFailed,
)
from console.services import Api, Services

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
for _name in ("brl", "number", "day", "moment", "month"):
    TEMPLATES.env.filters[_name] = getattr(formatting, _name)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def day_or_blank(value: str) -> str:
    """An ISO day as typed in a date field, or "" for none; InvalidInput for anything else
    (an empty date field is sent as an empty string, not left out)."""
    value = value.strip()
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(value) from None
    return value


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def csrf_token(request: Request) -> str:
    """This session's anti-forgery token (made on first use)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def csrf_protected(request: Request) -> None:
    """Every POST carries the session's token, in its form or (htmx) in a header."""
    expected = request.session.get(CSRF_FIELD)
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str):
        raise CsrfRejected
    if not secrets.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRejected


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """The template with the session's CSRF token and who is logged in."""
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf": csrf_token(request),
            "user": request.session.get("user"),
            "operator": "admin_token" in request.session,
            **context,
        },
        status_code=status_code,
    )


async def as_user(
    request: Request,
    api: Api,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """Call with the user's access token; renewed once with the refresh token when expired."""
    token = request.session.get("access_token")
    if not isinstance(token, str):
        raise LoginRequired
    try:
        return await api.call(method, path, token=token, json=json, params=params)
    except ServiceFailed as error:
        if error.status_code != 401:
            raise
    token = await refreshed_token(request)
    return await api.call(method, path, token=token, json=json, params=params)


async def refreshed_token(request: Request) -> str:
    """A new access token from billing, or LoginRequired when the log-in has ended."""
    refresh = request.session.get("refresh_token")
    if isinstance(refresh, str):
        try:
            tokens = await services(request).billing.call(
                "POST", "/api/auth/refresh", json={"refresh_token": refresh}
            )
        except ServiceFailed as error:
            if error.status_code >= 500:
                raise
        else:
            keep_tokens(request, tokens)
            token: str = tokens["access_token"]
            return token
    forget_user(request)
    raise LoginRequired


def keep_tokens(request: Request, tokens: dict[str, Any]) -> None:
    request.session["access_token"] = tokens["access_token"]
    request.session["refresh_token"] = tokens["refresh_token"]


def forget_user(request: Request) -> None:
    for key in ("access_token", "refresh_token", "user"):
        request.session.pop(key, None)


async def as_operator(
    request: Request,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    """Call the gateway's admin API with the operator's token; back to log-in if it is refused."""
    token = request.session.get("admin_token")
    if not isinstance(token, str):
        raise AdminLoginRequired
    try:
        return await services(request).admin.call(
            method, path, token=token, json=json, params=params
        )
    except ServiceFailed as error:
        if error.status_code == 401:
            request.session.pop("admin_token", None)
            raise AdminLoginRequired from error
        raise
