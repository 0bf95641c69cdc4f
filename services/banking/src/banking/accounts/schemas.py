"""API shapes of accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AccountRead(BaseModel):
    """A bank or credit-card account; money in integer cents."""

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
