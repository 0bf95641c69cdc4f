"""The services' public HTTP APIs as the console calls them: JSON in and out, their errors raised
as ServiceFailed (status, code, message) and silence as ServiceUnreachable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from console.errors import ServiceFailed, ServiceUnreachable


@dataclass(frozen=True)
class Api:
    """One service's API at `base_url`, called through the console's shared HTTP client."""

    name: str
    base_url: str
    http: httpx.AsyncClient

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The answer's JSON (None when it has no body)."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        query = {key: value for key, value in (params or {}).items() if value not in (None, "")}
        try:
            response = await self.http.request(
                method, self.base_url.rstrip("/") + path, headers=sent, json=json, params=query
            )
        except httpx.HTTPError as error:
            raise ServiceUnreachable(self.name) from error
        if response.status_code >= 400:
            raise _failure(self.name, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise ServiceFailed(self.name, 502, "invalid_answer", "not JSON") from error


def _failure(service: str, response: httpx.Response) -> ServiceFailed:
    """The service's `{"code", "message"}`, or what can be said of an answer without one."""
    code, message = f"http_{response.status_code}", response.reason_phrase
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("code") or code)
        detail = body.get("message") or body.get("detail")
        if isinstance(detail, str):
            message = detail
        elif isinstance(detail, list) and detail and isinstance(detail[0], dict):
            message = str(detail[0].get("msg", message))
    return ServiceFailed(service, response.status_code, code, message)


@dataclass(frozen=True)
class Services:
    """Every API the console uses."""

    billing: Api
    banking: Api
    admin: Api
    pluggy: Api
    live_url: str
    http: httpx.AsyncClient
