"""Errors of the plan limits."""

from __future__ import annotations

from finhub_shared.errors import Forbidden


class BankAccountLimitReached(Forbidden):
    """The company already has as many bank accounts as its plan allows."""

    code = "bank_account_limit_reached"
