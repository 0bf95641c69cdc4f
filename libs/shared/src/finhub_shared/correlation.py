"""The correlation id that follows one request into every message and log line it causes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _correlation_id.get()


def new_correlation_id() -> str:
    """A fresh correlation id: 128 random bits as 32 hex digits (uuid4().hex's shape, a third
    of its cost; nothing reads it as a UUID, and callers may send any id of their own)."""
    return os.urandom(16).hex()


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[str]:
    """Make `correlation_id` (or a fresh one) current and add it to every log line in the block."""
    value = correlation_id or new_correlation_id()
    token = _correlation_id.set(value)
    # Tokens restore what was bound before, without the copy of the whole context that
    # structlog's bound_contextvars makes on every entry (a request pays for it).
    log_tokens = structlog.contextvars.bind_contextvars(correlation_id=value)
    try:
        yield value
    finally:
        structlog.contextvars.reset_contextvars(**log_tokens)
        _correlation_id.reset(token)
