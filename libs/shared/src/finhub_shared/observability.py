"""HTTP plumbing every service shares: correlation ids, request metrics, health and readiness."""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finhub_shared.correlation import correlation_scope
from finhub_shared.errors import NotReady
from finhub_shared.logging import get_logger
from finhub_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

ReadinessCheck = Callable[[], Awaitable[None]]

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_HEADER_RAW = CORRELATION_HEADER.lower().encode("latin-1")
# In order of preference.
_INCOMING_CORRELATION_HEADERS = (b"x-correlation-id", b"x-request-id")
# Anything else (too long, spaces, quotes, newlines) could forge or break log lines.
_SANE_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

DEFAULT_READINESS_TIMEOUT = 2.0

log = get_logger(__name__)


def _incoming_correlation_id(scope: Scope) -> str | None:
    # One pass over the raw headers (ASGI names them in lower case), each name's first value.
    candidates: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _INCOMING_CORRELATION_HEADERS:
            candidates.setdefault(name, value)
    for name in _INCOMING_CORRELATION_HEADERS:
        if name in candidates:
            text = candidates[name].decode("latin-1")
            if _SANE_CORRELATION_ID.fullmatch(text):
                return text
    return None


def _route_template(scope: Scope) -> str:
    # The router leaves the matched route in the scope; its template keeps label values bounded.
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


@functools.cache
def _request_series(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
    """The counter and the timer of one method, route and status, labelled once: `.labels()` on
    every request was measurable. No more entries than the registry itself keeps children."""
    return (
        HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
        HTTP_LATENCY.labels(method=method, route=route),
    )


class RequestObservability:
    """Run each request in a correlation scope (the caller's id if sane), echo the id back, and
    count and time the request by method, route template and status.

    One middleware and one `send` wrapper for both: each layer costs every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()
        with correlation_scope(_incoming_correlation_id(scope)) as correlation_id:
            header = (_CORRELATION_HEADER_RAW, correlation_id.encode("latin-1"))

            async def send_observed(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            try:
                await self.app(scope, receive, send_observed)
            finally:
                method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
                requests, latency = _request_series(method, _route_template(scope), status)
                requests.inc()
                latency.observe(time.perf_counter() - started)


async def _check_outcome(name: str, check: ReadinessCheck, time_limit: float) -> str:
    try:
        async with asyncio.timeout(time_limit):
            await check()
    except TimeoutError:
        log.warning("readiness_check_timed_out", check=name, time_limit_seconds=time_limit)
        return f"unreachable: no answer within {time_limit:g}s"
    except NotReady as problem:
        return f"failing: {problem}"
    except Exception as error:
        # The log line (redacted) keeps the detail; the answer names only the kind of failure,
        # because exception texts can hold connection URLs.
        log.warning(
            "readiness_check_failed", check=name, error_type=type(error).__name__, error=str(error)
        )
        return f"unreachable: {type(error).__name__}"
    return "ok"


async def _checks_answer(
    checks: Mapping[str, ReadinessCheck], time_limit: float, *, passing: str, code: str
) -> JSONResponse:
    outcomes = await asyncio.gather(
        *(_check_outcome(name, check, time_limit) for name, check in checks.items())
    )
    results = dict(zip(checks, outcomes, strict=True))
    failing = [name for name, outcome in results.items() if outcome != "ok"]
    if not failing:
        return JSONResponse({"status": passing, "checks": results})
    body = {
        "status": "unavailable",
        "code": code,
        "message": f"Not {passing}: {', '.join(failing)}.",
        "checks": results,
    }
    return JSONResponse(body, status_code=503)


async def _no_refresh() -> None:
    return None


def health_router(
    checks: Mapping[str, ReadinessCheck],
    *,
    alive_checks: Mapping[str, ReadinessCheck] | None = None,
    timeout: float = DEFAULT_READINESS_TIMEOUT,
    before_scrape: ReadinessCheck = _no_refresh,
) -> APIRouter:
    """GET /healthz (every `alive_checks` passes: restart me if not), /readyz (every check
    passes within `timeout`: send me work), /metrics (after `before_scrape` refreshed gauges)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return await _checks_answer(alive_checks or {}, timeout, passing="alive", code="not_alive")

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        return await _checks_answer(checks, timeout, passing="ready", code="not_ready")

    @router.get("/metrics")
    async def metrics() -> Response:
        await before_scrape()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(
    app: FastAPI,
    checks: Mapping[str, ReadinessCheck],
    *,
    alive_checks: Mapping[str, ReadinessCheck] | None = None,
    readiness_timeout: float = DEFAULT_READINESS_TIMEOUT,
) -> None:
    """Add correlation ids, request metrics and the health/readiness/metrics routes to `app`."""
    app.add_middleware(RequestObservability)
    app.include_router(health_router(checks, alive_checks=alive_checks, timeout=readiness_timeout))
