"""`billing.entitlements.changed`: a full snapshot of what a company may use (no history needed)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from billing.plans.schemas import InsightLevel, Limits

EVENT_TYPE = "entitlements.changed"


class Entitlements(BaseModel):
    company_id: UUID
    plan: str | None
    status: str
    limits: Limits
    valid_until: datetime | None
    # The plan that unlocks each insight level, so banking names it without knowing the plans.
    insight_plans: dict[InsightLevel, str] = Field(default_factory=dict)


class EntitlementsChanged(Entitlements):
    """The published snapshot; `version` grows by one per company, so stale ones can be dropped."""

    version: int
