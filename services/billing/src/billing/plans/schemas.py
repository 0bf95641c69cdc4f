"""API shapes of plans: amounts in integer centavos."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from finhub_shared.fields import MAX_INTEGER

BillingPeriod = Literal["monthly", "yearly"]
# The insights a plan includes: none, professional's, or enterprise's advanced ones besides.
InsightLevel = Literal["none", "standard", "advanced"]
# A plan's id as a client sends it: a JSON integer (not "2" or true) the plans table can hold.
PlanId = Annotated[int, Field(strict=True, ge=1, le=MAX_INTEGER)]


class Limits(BaseModel):
    """What a plan allows; None means unlimited."""

    bank_accounts: int | None
    transactions_per_month: int | None
    ai_insights: bool
    insights: InsightLevel = "none"


class Prices(BaseModel):
    monthly_cents: int
    yearly_cents: int


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    currency: str
    prices: Prices
    limits: Limits
    features: list[str]
