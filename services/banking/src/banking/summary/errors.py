"""Errors of the dashboard."""

from __future__ import annotations

from finhub_shared.errors import UnprocessableEntity


class InvalidPeriod(UnprocessableEntity):
    code = "invalid_period"
