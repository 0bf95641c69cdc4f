"""One error hierarchy for every service: each error carries its HTTP status and a stable code."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from finhub_shared.logging import get_logger

log = get_logger(__name__)


class FinhubError(Exception):
    """Base of every error we raise on purpose; rendered as `{"code", "message", ...extra}`."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"code": self.code, "message": self.message, **self.extra}


class BadRequest(FinhubError):
    status_code = 400
    code = "bad_request"


class Unauthorized(FinhubError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FinhubError):
    status_code = 403
    code = "forbidden"


class NotFound(FinhubError):
    status_code = 404
    code = "not_found"


class Conflict(FinhubError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(FinhubError):
    status_code = 413
    code = "payload_too_large"


class UnprocessableEntity(FinhubError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(FinhubError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(FinhubError):
    status_code = 503
    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The service's database did not answer (down, restarting, out of connections)."""

    code = "database_unavailable"
    retry_after_seconds = 5


class DependencyUnavailable(ServiceUnavailable):
    """A connection this request needed was refused or timed out."""

    code = "dependency_unavailable"
    retry_after_seconds = 5


class ProviderError(FinhubError):
    """A call to Stripe or Pluggy failed after our retries; the caller sees a 502."""

    status_code = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The provider's circuit is open or it keeps timing out; the caller may retry later."""

    status_code = 503
    code = "provider_unavailable"


class ErrorBody(BaseModel):
    """Every error answer: a stable machine-readable `code`, a human `message`, maybe more."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


def error_responses(*error_types: type[FinhubError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status with the codes it may carry."""
    by_status: dict[int, set[str]] = {}
    for error_type in error_types:
        by_status.setdefault(error_type.status_code, set()).add(error_type.code)
    return {
        status: {"model": ErrorBody, "description": "code: " + " | ".join(sorted(codes))}
        for status, codes in sorted(by_status.items())
    }


def _headers_for(error: FinhubError) -> dict[str, str] | None:
    if isinstance(error, TooManyRequests | DatabaseUnavailable | DependencyUnavailable):
        return {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, Unauthorized):
        return {"WWW-Authenticate": "Bearer"}
    return None


async def _finhub_error_handler(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, FinhubError)
    return JSONResponse(error.to_body(), status_code=error.status_code, headers=_headers_for(error))


async def _validation_error_handler(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    body = {
        "code": UnprocessableEntity.code,
        "message": "The request is not valid; see detail.",
        "detail": [_without_input(problem) for problem in error.errors()],
    }
    return JSONResponse(body, status_code=422)


def _without_input(problem: Any) -> Any:
    # The rejected input can be the whole body, password included: never send it back.
    return jsonable_encoder(
        {key: value for key, value in problem.items() if key not in {"input", "ctx", "url"}}
    )


async def _http_error_handler(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    # FastAPI raises a 400 for a body that is not the JSON it announces.
    code = {
        400: "malformed_body",
        404: "not_found",
        405: "method_not_allowed",
        413: PayloadTooLarge.code,
    }.get(error.status_code, "http_error")
    return JSONResponse(
        {"code": code, "message": str(error.detail)},
        status_code=error.status_code,
        headers=error.headers,
    )


# SQLSTATEs of a database that cannot serve now: connection exceptions (08), shutting down or
# starting up (57P), out of resources or connections (53), not accepting connections (55000).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53", "55000")


def _database_unavailable(error: Exception) -> bool:
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) or ""
    return isinstance(error, DBAPIError) and (
        error.connection_invalidated or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
    )


async def _database_error_handler(request: Request, error: Exception) -> JSONResponse:
    if not _database_unavailable(error):
        raise error  # a bug, not an outage: the 500 it is
    # The message of a driver error can name hosts and users: only its kind is logged.
    log.warning("database_unavailable", error=type(error).__name__, path=request.url.path)
    return await _finhub_error_handler(
        request, DatabaseUnavailable("The database is unavailable; retry in a few seconds.")
    )


async def _connection_error_handler(request: Request, error: Exception) -> JSONResponse:
    log.warning("dependency_unavailable", error=type(error).__name__, path=request.url.path)
    return await _finhub_error_handler(
        request, DependencyUnavailable("A service this request needs is unreachable; retry soon.")
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render our errors, validation errors and routing errors as `{"code", "message"}` JSON;
    a database or connection that fails mid-request is a 503 to retry, never a 500."""
    app.add_exception_handler(FinhubError, _finhub_error_handler)
    for database_error in (DBAPIError, PoolTimeout):
        app.add_exception_handler(database_error, _database_error_handler)
    # asyncpg's refused connect reaches us unwrapped; TimeoutError is an OSError too.
    app.add_exception_handler(OSError, _connection_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)


class InvalidCursor(BadRequest):
    """A page cursor this service did not write: tampered, truncated or made up."""

    code = "invalid_cursor"


class TokenMissing(Unauthorized):
    code = "token_missing"


class TokenExpired(Unauthorized):
    code = "token_expired"


class TokenInvalid(Unauthorized):
    code = "token_invalid"


class ForbiddenRole(Forbidden):
    code = "forbidden_role"


class BodyTooLarge(StarletteHTTPException):
    """Raised by `receive` once the body passes the limit; FastAPI lets an HTTPException through
    body parsing (any other error there becomes a 400), and the error handlers render it."""

    def __init__(self, limit: int) -> None:
        super().__init__(PayloadTooLarge.status_code, f"The request body is over {limit} bytes.")


class NotReady(Exception):
    """A readiness check's failure whose message is safe to show (it names a part, no secret)."""
