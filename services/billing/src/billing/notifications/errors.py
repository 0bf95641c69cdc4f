"""Errors of notifications."""

from __future__ import annotations

from finhub_shared.errors import TooManyRequests


class TooManyStreams(TooManyRequests):
    code = "too_many_streams"
