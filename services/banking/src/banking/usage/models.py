"""The monthly usage table: how many transactions each company got in each month."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned


class MonthlyUsage(CompanyOwned, Base):
    __tablename__ = "monthly_usage"

    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    # The first day of the calendar month (Brazil's calendar).
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    transactions: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set once the company has been told it went over its limit this month.
    limit_notice_sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
