"""API shapes of disputes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DisputeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    payment_id: UUID | None
    amount_cents: int
    currency: str
    reason: str
    status: str
    evidence_due_by: datetime | None
    funds_status: str | None
    created_at: datetime = Field(validation_alias="stripe_created_at")
