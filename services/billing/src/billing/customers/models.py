"""A company's Stripe customer and its cards (brand, last four digits and expiry only)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class StripeCustomer(CompanyOwned, Base):
    __tablename__ = "stripe_customers"

    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    default_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]


class PaymentMethod(CompanyOwned, Base):
    __tablename__ = "payment_methods"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stripe_payment_method_id: Mapped[str] = mapped_column(String(255), unique=True)
    brand: Mapped[str | None] = mapped_column(String(30))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int | None]
    exp_year: Mapped[int | None]
    attached: Mapped[bool]
    # The month ("2026-12") whose expiry notice was sent, so it is sent once.
    expiry_notice_sent_for: Mapped[str | None] = mapped_column(String(7))
    synced_at: Mapped[datetime]
