"""The entitlements table: one row per company, the latest snapshot billing sent (or a trial)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base

SOURCE_BILLING = "billing"
# A company billing has not told us about yet: assumed on trial from its first request.
SOURCE_ASSUMED_TRIAL = "assumed_trial"


class CompanyEntitlement(Base):
    __tablename__ = "company_entitlements"

    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    plan: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(30))
    # None means unlimited.
    bank_accounts_limit: Mapped[int | None] = mapped_column(Integer)
    transactions_per_month_limit: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[datetime | None]
    # none, standard or advanced (billing's limits.insights); the plan unlocking each level.
    insights: Mapped[str] = mapped_column(String(10), server_default="none")
    insight_plans: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    source: Mapped[str] = mapped_column(String(20))
    # Billing's version of the snapshot (None for an assumed trial): a lower one arriving late is
    # ignored. Clocks of different machines do not order snapshots; versions do.
    version: Mapped[int | None] = mapped_column(BigInteger)
    # When billing produced the snapshot (or the trial was assumed); shown, never compared.
    snapshot_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
