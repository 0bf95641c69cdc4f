"""Insights as last computed per company, each company's insight settings and computation runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned


class Insight(CompanyOwned, Base):
    """One finding of the company's latest computation (banking.insights.findings.Finding)."""

    __tablename__ = "insights"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The finding's key, stable across computations: the same insight keeps its row and its id.
    key: Mapped[str] = mapped_column(String(200))
    # Which detector found it: a detector that fails keeps its previous findings.
    detector: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(50))
    tier: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    transaction_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # {name: [{day, value_cents, low_cents, high_cents}, ...]}: the points of its charts.
    series: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]


class InsightSettings(Base):
    """What a company tells insights: the balance below which the forecast warns."""

    __tablename__ = "insight_settings"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    low_balance_threshold_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class InsightRun(Base):
    """When a company's insights were last asked for and last computed: a request older than
    the last computation is already answered."""

    __tablename__ = "insight_runs"

    company_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime | None]
    computed_at: Mapped[datetime | None]
