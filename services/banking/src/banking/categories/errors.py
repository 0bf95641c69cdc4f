"""Errors of categories and rules."""

from __future__ import annotations

from finhub_shared.errors import Conflict, UnprocessableEntity


class UnknownCategory(UnprocessableEntity):
    code = "unknown_category"


class InvalidRule(UnprocessableEntity):
    code = "invalid_rule"


class RuleLimitReached(Conflict):
    """The company already keeps as many rules as BANKING_MAX_RULES_PER_COMPANY allows."""

    code = "rule_limit_reached"
