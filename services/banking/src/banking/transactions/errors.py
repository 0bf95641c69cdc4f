"""Errors of transaction listings."""

from __future__ import annotations

from finhub_shared.errors import BadRequest


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
