"""The Stripe Checkout sessions a company opened: at most one is open at a time."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class CheckoutSession(CompanyOwned, Base):
    __tablename__ = "checkout_sessions"
    __table_args__ = (
        Index(
            "uq_checkout_sessions_one_open_per_company",
            "company_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    billing_period: Mapped[str] = mapped_column(String(10))
    # open (the one the company may pay), expiring (replaced, still to expire at Stripe),
    # expired, complete (paid)
    status: Mapped[str] = mapped_column(String(20))
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
