"""The correlation id that follows one request into every message and log line it causes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _correlation_id.get()


def new_correlation_id() -> str:
    """A fresh correlation id."""
    return uuid.uuid4().hex


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[str]:
    """Make `correlation_id` (or a fresh one) current and add it to every log line in the block."""
    value = correlation_id or new_correlation_id()
    token = _correlation_id.set(value)
    try:
        with structlog.contextvars.bound_contextvars(correlation_id=value):
            yield value
    finally:
        _correlation_id.reset(token)
