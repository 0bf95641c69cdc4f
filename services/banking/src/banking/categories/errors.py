"""Errors of categories and rules."""

from __future__ import annotations

from finhub_shared.errors import UnprocessableEntity


class UnknownCategory(UnprocessableEntity):
    code = "unknown_category"


class InvalidRule(UnprocessableEntity):
    code = "invalid_rule"
