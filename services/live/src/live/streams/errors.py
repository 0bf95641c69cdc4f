"""Errors of the live streams."""

from __future__ import annotations

from finhub_shared.errors import TooManyRequests, Unauthorized


class TooManyStreams(TooManyRequests):
    code = "too_many_streams"


class SessionRevoked(Unauthorized):
    code = "session_revoked"


class ListenerLost(Exception):
    """The LISTEN connection closed; the supervisor opens a new one."""
