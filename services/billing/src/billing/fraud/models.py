"""Early fraud warnings: an issuer reported a charge as fraudulent."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class FraudWarning(CompanyOwned, Base):
    __tablename__ = "fraud_warnings"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    stripe_warning_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str] = mapped_column(String(255))
    fraud_type: Mapped[str] = mapped_column(String(50))
    actionable: Mapped[bool]
    # pending, refunded or failed when BILLING_AUTO_REFUND_FRAUD_WARNINGS is on; else None.
    refund_status: Mapped[str | None] = mapped_column(String(20), index=True)
    refund_error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime]
