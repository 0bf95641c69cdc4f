"""Stored events as Server-Sent Events messages, rendered once per replica for all its streams."""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from live.events.models import LiveEvent
from live.events.schemas import SESSION_REVOKED

# How long a client waits before reconnecting after the connection drops (the `retry:` field).
RECONNECT_MILLISECONDS = 2000


@dataclass(frozen=True)
class Rendered:
    """One stored event as the streams need it: its SSE text (None: never shown), and for a
    revocation, whose log-in it ends (a null session: every log-in of the user)."""

    seq: int
    text: str | None
    revokes: tuple[UUID, UUID | None] | None = None


def render(event: LiveEvent) -> Rendered:
    """The event's message: `id:` its seq, `event:` its name, `data:` its JSON."""
    if event.type == SESSION_REVOKED:
        session_id = event.data.get("session_id")
        revoked = (UUID(event.data["user_id"]), UUID(session_id) if session_id else None)
        return Rendered(event.seq, None, revoked)
    data = {"type": event.type, "occurred_at": event.occurred_at.isoformat(), **event.data}
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Rendered(event.seq, f"id: {event.seq}\nevent: {event.type}\ndata: {body}\n\n")


def opening_message() -> str:
    """The first message of every stream: how long to wait before reconnecting."""
    return f"retry: {RECONNECT_MILLISECONDS}\n\n"


def keep_alive_message() -> str:
    """A comment line: nothing for the client, but proxies see the stream is alive."""
    return ": keep-alive\n\n"


def end_message(reason: str) -> str:
    """The last message of a stream the server ends, saying why (token_expired, session_revoked,
    stream_dropped, too_slow); the client may reconnect with a fresh token and Last-Event-ID."""
    return f"event: end\ndata: {json.dumps({'type': 'end', 'reason': reason})}\n\n"
