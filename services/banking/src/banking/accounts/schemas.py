"""API shapes of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class UpgradeHint(BaseModel):
    """What makes room for an account past the plan's bank-account limit."""

    upgrade_required: bool = True
    suggested_plan: str
    message: str


class AccountRead(BaseModel):
    """A bank or credit-card account; money in integer cents. A blocked account is past the
    plan's bank-account limit: it is kept, but neither synced nor counted until there is room."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    type: str
    subtype: str | None
    name: str
    marketing_name: str | None
    number: str | None
    currency_code: str
    balance_cents: int
    last_synced_at: datetime | None
    status: Literal["active", "blocked"]
    blocked_reason: Literal["bank_account_limit_reached"] | None
    upgrade: UpgradeHint | None = None
