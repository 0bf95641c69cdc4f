"""A company's usage as banking last reported it, shown against its plan's limits."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Usage(CompanyOwned, Base):
    __tablename__ = "usage"

    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    bank_accounts: Mapped[int]
    transactions_this_month: Mapped[int]
    # The calendar month ("2026-11") the transaction count belongs to.
    month: Mapped[str] = mapped_column(String(7))
    # When banking measured it; an older report never replaces a newer one.
    measured_at: Mapped[datetime]
