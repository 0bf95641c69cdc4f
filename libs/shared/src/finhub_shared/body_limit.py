"""Refusing request bodies over a size before they are read whole: 413 `payload_too_large`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finhub_shared.errors import BodyTooLarge, PayloadTooLarge


class RequestBodyLimit:
    """ASGI middleware: a declared Content-Length over the limit is refused when the app first
    asks for the body, before a byte is read; a body without one, as soon as it passes the limit.

    A route that checks a smaller limit of its own before reading (the gateway's webhooks) still
    answers its own way, since nothing is refused until the body is asked for; the few routes
    that take files (`larger_routes`: a path pattern and its limit) get theirs, and only they.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger_routes: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger_routes = [
            (re.compile(pattern), limit) for pattern, limit in (larger_routes or {}).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit_of(scope["path"])
        declared = _declared_length(scope)
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > max_bytes:
                raise BodyTooLarge(max_bytes)
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge(max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as error:
            # A middleware that reads the body itself (the sandbox's idempotency) is outside the
            # error handlers: the refusal is answered here, unless an answer has begun.
            if response_started:
                raise
            body = PayloadTooLarge(str(error.detail)).to_body()
            await JSONResponse(body, status_code=error.status_code)(scope, receive, send)

    def _limit_of(self, path: str) -> int:
        for pattern, limit in self.larger_routes:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes


def install_body_limit(
    app: FastAPI, max_bytes: int, larger_routes: Mapping[str, int] | None = None
) -> None:
    """Refuse bodies over `max_bytes` in every route and middleware added before this call, and
    over their own limit in `larger_routes` (a regular expression of the whole path: bytes)."""
    app.add_middleware(RequestBodyLimit, max_bytes=max_bytes, larger_routes=larger_routes)


def _declared_length(scope: Scope) -> int | None:
    # The first Content-Length, read from the raw headers (ASGI names them in lower case).
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
