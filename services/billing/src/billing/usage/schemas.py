"""Usage as the API shows it, and banking's `banking.usage.changed` payload."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE = "usage.changed"


class UsageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    bank_accounts: int
    transactions_this_month: int
    month: str
    measured_at: datetime


class UsageChanged(BaseModel):
    """`data` of banking's event: the company's counts when it measured them."""

    model_config = ConfigDict(extra="ignore")

    company_id: UUID
    bank_accounts: int = Field(ge=0)
    transactions_this_month: int = Field(ge=0)
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
