"""Chargebacks: a customer disputed a payment with their bank."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Dispute(CompanyOwned, Base):
    __tablename__ = "disputes"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(50))
    # Stripe's dispute statuses: needs_response, under_review, won, lost, warning_closed...
    status: Mapped[str] = mapped_column(String(30))
    evidence_due_by: Mapped[datetime | None]
    # withdrawn or reinstated, once Stripe has moved the disputed funds
    funds_status: Mapped[str | None] = mapped_column(String(20))
    stripe_created_at: Mapped[datetime] = mapped_column(index=True)
    synced_at: Mapped[datetime]
