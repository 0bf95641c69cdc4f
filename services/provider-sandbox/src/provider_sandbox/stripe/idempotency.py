"""Stripe's idempotency keys: the first answer to a key is replayed for the same parameters.

Answers are kept once the request got past validation (2xx, and 402 card errors); a key reused
with other parameters gets 400 `idempotency_error`, and one still in progress gets 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

IDEMPOTENT_METHODS = frozenset({"POST", "DELETE"})
API_PREFIX = "/v1/"
_SAVED_ERROR_STATUSES = frozenset({402})

Fingerprint = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass
class SavedResponse:
    """The first answer given to one idempotency key (None while it is being computed)."""

    fingerprint: Fingerprint
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class IdempotencyStore:
    """Answers by idempotency key, for the sandbox's one account."""

    saved: dict[str, SavedResponse] = field(default_factory=dict)


class IdempotencyMiddleware:
    """Replay, refuse or record `/v1/` POST and DELETE calls that carry an Idempotency-Key."""

    def __init__(self, app: ASGIApp, store: IdempotencyStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _idempotency_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        saved = self.store.saved.get(key)
        if saved is None:
            await self._first_call(key, fingerprint, scope, body, send)
        elif saved.fingerprint != fingerprint:
            await _send_error(send, 400, _mismatch_message(key))
        elif saved.status is None:
            await _send_error(send, 409, _in_progress_message(key))
        else:
            headers = [*saved.headers, (b"idempotent-replayed", b"true")]
            await _send(send, saved.status, headers, saved.body)

    async def _first_call(
        self, key: str, fingerprint: Fingerprint, scope: Scope, body: bytes, send: Send
    ) -> None:
        pending = SavedResponse(fingerprint)
        self.store.saved[key] = pending
        captured: list[Message] = []

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            captured.append(message)
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            start = next((m for m in captured if m["type"] == "http.response.start"), None)
            if start is not None and _worth_saving(start["status"]):
                pending.status = start["status"]
                pending.headers = list(start.get("headers", []))
                pending.body = b"".join(
                    m.get("body", b"") for m in captured if m["type"] == "http.response.body"
                )
            else:
                del self.store.saved[key]


def _worth_saving(status: int) -> bool:
    return status < 400 or status in _SAVED_ERROR_STATUSES


def _idempotency_key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in IDEMPOTENT_METHODS:
        return None
    if not scope["path"].startswith(API_PREFIX):
        return None
    for name, value in scope["headers"]:
        if name == b"idempotency-key" and value:
            key: str = value.decode("latin-1")
            return key
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _fingerprint(scope: Scope, body: bytes) -> Fingerprint:
    # Stripe compares parameters, not bytes: the same fields in another order are the same call.
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True)
    boundary = _multipart_boundary(scope)
    if boundary:
        # Each upload draws a random boundary: the same parts sent again are the same call.
        pairs.append(("multipart", hashlib.sha256(body.replace(boundary, b"")).hexdigest()))
    else:
        pairs += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return scope["method"], scope["path"], tuple(sorted(pairs))


def _multipart_boundary(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"content-type" and value.startswith(b"multipart/"):
            _, _, boundary = value.partition(b"boundary=")
            return boundary.strip(b'"') or None
    return None


def _mismatch_message(key: str) -> str:
    return (
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different "
        "request."
    )


def _in_progress_message(key: str) -> str:
    return (
        f"There is currently another in-progress request using this Idempotent Key ('{key}'). "
        "Please try again later."
    )


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": {"type": "idempotency_error", "message": message}}).encode()
    await _send(send, status, [(b"content-type", b"application/json")], body)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
