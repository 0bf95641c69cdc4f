"""The plans a company can subscribe to: reference data seeded by a migration."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    price_monthly_cents: Mapped[int]
    price_yearly_cents: Mapped[int]
    # None means unlimited.
    max_bank_accounts: Mapped[int | None]
    max_transactions_per_month: Mapped[int | None]
    ai_insights: Mapped[bool]
    features: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    # Stripe prices are found by lookup key, so no Stripe id is written into our data.
    stripe_lookup_key_monthly: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_lookup_key_yearly: Mapped[str] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool]
    sort_order: Mapped[int]
