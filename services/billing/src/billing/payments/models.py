"""Payments (one per invoice or payment intent) and their refunds."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Payment(CompanyOwned, Base):
    __tablename__ = "payments"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int]
    amount_refunded_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # pending, processing, succeeded, failed, cancelled, refunded
    status: Mapped[str] = mapped_column(String(20))
    failure_message: Mapped[str | None] = mapped_column(Text)
    fraud_warning: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime | None]
    # Stripe's time of the event behind the current status.
    synced_at: Mapped[datetime]
    # When the payment was asked for, in Stripe's time: the order of the history.
    requested_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Refund(CompanyOwned, Base):
    __tablename__ = "refunds"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    stripe_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # pending, requires_action, succeeded, failed, canceled (Stripe's refund statuses)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(50))
    synced_at: Mapped[datetime]
