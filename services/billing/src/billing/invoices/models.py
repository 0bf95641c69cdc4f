"""Stripe invoices of a company, as Stripe last described them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Invoice(CompanyOwned, Base):
    __tablename__ = "invoices"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(100))
    # draft, open, paid, uncollectible, void
    status: Mapped[str] = mapped_column(String(20))
    billing_reason: Mapped[str | None] = mapped_column(String(50))
    amount_due_cents: Mapped[int]
    amount_paid_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    hosted_invoice_url: Mapped[str | None] = mapped_column(Text)
    invoice_pdf_url: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    stripe_created_at: Mapped[datetime] = mapped_column(index=True)
    synced_at: Mapped[datetime]
    # When the company was told this invoice was paid (renewed or recovered): told once.
    paid_notice_at: Mapped[datetime | None]
