"""The dunning schedule of a failed renewal: retries, then cancellation; kept across restarts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class DunningSchedule(CompanyOwned, Base):
    __tablename__ = "dunning_schedules"
    __table_args__ = (Index("ix_dunning_schedules_due", "status", "next_run_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime]
    # How many steps are done (0 = none); the next one runs at next_run_at.
    steps_done: Mapped[int] = mapped_column(default=0)
    next_run_at: Mapped[datetime | None]
    # active, recovered, cancelled_subscription, stopped
    status: Mapped[str] = mapped_column(String(30))
    finished_at: Mapped[datetime | None]
    # The charges billing made (scheduled and card-update retries), the last one's time and, if
    # it failed, why.
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The card the latest card update brought, and whether its immediate retry is still to make.
    card_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_retry_due: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
