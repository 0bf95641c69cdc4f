"""PIX payments, automatic PIX mandates and the payments taken under them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from banking.database import Base
from finhub_shared.auth import CompanyOwned

# A payment's state as the product shows it, from Pluggy's request and intent statuses.
PENDING = "pending"
WAITING_AUTHORIZATION = "waiting_authorization"
PROCESSING = "processing"
SCHEDULED = "scheduled"
COMPLETED = "completed"
FAILED = "failed"
TIMED_OUT = "timed_out"
CANCELED = "canceled"
REFUNDED = "refunded"

FINAL_STATUSES = frozenset({COMPLETED, FAILED, TIMED_OUT, CANCELED, REFUNDED})

# A mandate's state.
MANDATE_PENDING = "pending_authorization"
MANDATE_AUTHORIZED = "authorized"
MANDATE_CANCELED = "canceled"
MANDATE_FAILED = "failed"

# Final statuses of an automatic PIX payment (Pluggy's): a late, older state never replaces them.
FINAL_CYCLE_STATUSES = frozenset({"COMPLETED", "CANCELED", "ERROR"})


class PixPayment(CompanyOwned, Base):
    __tablename__ = "pix_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pluggy_request_id: Mapped[str] = mapped_column(String(64), unique=True)
    pluggy_recipient_id: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_pix_key: Mapped[str | None] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(140))
    schedule: Mapped[dict[str, Any] | None]
    payment_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    request_status: Mapped[str] = mapped_column(String(40))
    request_updated_at: Mapped[dt.datetime | None]
    intent_id: Mapped[str | None] = mapped_column(String(64))
    intent_status: Mapped[str | None] = mapped_column(String(60))
    intent_updated_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # The dates of a scheduled payment, loaded with it (a list shows each payment's dates).
    schedules: Mapped[list[PixScheduledPayment]] = relationship(
        lazy="selectin", order_by="PixScheduledPayment.scheduled_date"
    )


class PixMandate(CompanyOwned, Base):
    """An automatic PIX authorisation: the payer consents once, cycles are paid under it."""

    __tablename__ = "pix_mandates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pluggy_request_id: Mapped[str] = mapped_column(String(64), unique=True)
    pluggy_recipient_id: Mapped[str] = mapped_column(String(64))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    interval: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    fixed_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    minimum_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    maximum_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(String(140))
    payment_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    request_status: Mapped[str] = mapped_column(String(40))
    request_updated_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PixMandatePayment(CompanyOwned, Base):
    """One cycle's payment under a mandate."""

    __tablename__ = "pix_mandate_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    mandate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pix_mandates.id", ondelete="CASCADE"), index=True
    )
    pluggy_payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(140))
    # Pluggy's: SCHEDULED, CREATED, COMPLETED, CANCELED or ERROR.
    status: Mapped[str] = mapped_column(String(20))
    end_to_end_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PixScheduledPayment(CompanyOwned, Base):
    """One date of a scheduled PIX payment (Pluggy's SchedulePayment)."""

    __tablename__ = "pix_scheduled_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pix_payments.id", ondelete="CASCADE"), index=True
    )
    pluggy_schedule_id: Mapped[str] = mapped_column(String(64), unique=True)
    scheduled_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(140))
    # Pluggy's: SCHEDULED, COMPLETED, CANCELED or ERROR.
    status: Mapped[str] = mapped_column(String(20))
    end_to_end_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
