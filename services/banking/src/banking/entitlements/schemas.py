"""The shape of billing's `entitlements.changed` payload, and the limits banking enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# The insights a plan includes: none, professional's (standard), or enterprise's advanced ones too.
InsightLevel = Literal["none", "standard", "advanced"]
# What a company billing has not told us about sees: billing's trial plan (professional) includes
# standard insights, so the few minutes before its snapshot arrives look the same as after it.
ASSUMED_TRIAL_INSIGHTS: InsightLevel = "standard"


class SnapshotLimits(BaseModel):
    """Plan limits; null means unlimited (enterprise)."""

    model_config = ConfigDict(extra="ignore")

    bank_accounts: int | None = Field(None, ge=0)
    transactions_per_month: int | None = Field(None, ge=0)
    # An older billing's snapshot has no level: none until it says otherwise.
    insights: InsightLevel = "none"


class EntitlementsSnapshot(BaseModel):
    """A full snapshot of one company's entitlements, as billing publishes it."""

    model_config = ConfigDict(extra="ignore")

    company_id: UUID
    plan: str | None = None
    status: str
    limits: SnapshotLimits
    valid_until: AwareDatetime | None = None
    # The plan that unlocks each insight level (billing's plans are not banking's to know).
    insight_plans: dict[InsightLevel, str] = Field(default_factory=dict)
    # Grows by one per company with each snapshot billing publishes: the only order that holds.
    version: int = Field(ge=1)


@dataclass(frozen=True)
class Entitlements:
    """What a company may do right now."""

    company_id: UUID
    plan: str | None
    status: str
    bank_accounts_limit: int | None
    transactions_per_month_limit: int | None
    valid_until: datetime | None
    assumed_trial: bool
    insights: InsightLevel = "none"
    insight_plans: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialTerms:
    """What a company billing has not told us about gets, and for how long."""

    days: int
    bank_accounts: int
    transactions_per_month: int
    insights: InsightLevel = ASSUMED_TRIAL_INSIGHTS


class EntitlementsRead(BaseModel):
    """The company's limits as the API shows them."""

    plan: str | None
    status: str
    bank_accounts_limit: int | None
    transactions_per_month_limit: int | None
    valid_until: datetime | None
    assumed_trial: bool
