"""Pluggy's error answers: `{"code": <status>, "codeDescription"?, "message", ...}` on every route.

Every Pluggy router is built with `new_router()`, whose routes render `PluggyError` and request
validation failures in that shape (Pluggy answers bad input with 400, never 422).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute


class PluggyError(Exception):
    """An error answer exactly as Pluggy shapes it; `extra` adds fields such as `details`."""

    def __init__(
        self,
        status: int,
        message: str,
        code_description: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code_description = code_description
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        body: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.code_description:
            body["codeDescription"] = self.code_description
        return {**body, **self.extra}


def not_found(resource: str) -> PluggyError:
    """Pluggy's 404, e.g. `not_found("item")` → ITEM_NOT_FOUND, "item not found"."""
    code = resource.upper().replace(" ", "_") + "_NOT_FOUND"
    return PluggyError(404, f"{resource} not found", code)


def bad_request(message: str, code_description: str | None = None, **extra: Any) -> PluggyError:
    """Pluggy's 400 for invalid input."""
    return PluggyError(400, message, code_description, **extra)


def unauthenticated() -> PluggyError:
    """The answer to a missing, unknown or expired X-API-KEY (OAS: 403 "Unauthenticated")."""
    return PluggyError(403, "Missing or invalid authorization token")


def forbidden_for_connect_token() -> PluggyError:
    """A connect token used outside its scope (its own Items and their accounts)."""
    return PluggyError(403, "This resource is not available with a connect token", "FORBIDDEN")


def _validation_message(error: RequestValidationError) -> str:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"] if part not in ("body", "query"))
        problems.append(f"{where} {problem['msg']}".strip())
    return ",".join(problems) or "invalid request"


class PluggyRoute(APIRoute):
    """A route that answers `PluggyError` and validation errors in Pluggy's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def pluggy_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except PluggyError as error:
                return JSONResponse(error.body(), status_code=error.status, headers=error.headers)
            except RequestValidationError as error:
                return JSONResponse(bad_request(_validation_message(error)).body(), status_code=400)

        return pluggy_handler


def new_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes answer errors the way Pluggy does."""
    return APIRouter(route_class=PluggyRoute, **kwargs)
