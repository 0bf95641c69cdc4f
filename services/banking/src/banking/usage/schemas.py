"""API shapes of usage against the plan's limits."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class UsageRead(BaseModel):
    """This month's use of the plan (Brazil's calendar); a null limit is unlimited."""

    plan: str | None
    status: str
    valid_until: datetime | None
    month: str
    transactions: int = Field(description="This month's transactions synced, hidden ones too.")
    transactions_limit: int | None
    over_limit: bool
    hidden_transactions: int = Field(
        description="This month's transactions past the limit: kept, but left out of the "
        "transactions and the dashboard until the plan allows them."
    )
    # The accounts the plan covers; those past its limit are blocked (not synced nor counted).
    bank_accounts: int
    bank_accounts_limit: int | None
    blocked_bank_accounts: int
