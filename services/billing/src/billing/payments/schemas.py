"""API shapes of payments."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class RefundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    amount_cents: int
    currency: str
    status: str
    reason: str | None


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    status: str
    amount_cents: int
    amount_refunded_cents: int
    currency: str
    failure_message: str | None
    fraud_warning: bool
    paid_at: datetime | None
    requested_at: datetime
    stripe_invoice_id: str | None


class PaymentDetail(PaymentOut):
    refunds: list[RefundOut]
