"""A company's deletion: what has been erased where, kept (naming no one) once it is over."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class CompanyDeletion(CompanyOwned, Base):
    """One company's erasure, asked for by its owner; `status` is requested until Stripe, billing,
    banking and the gateway are all done, then completed."""

    __tablename__ = "company_deletions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    # The company row stays as an anonymous tombstone, so this never cascades.
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id"), unique=True)
    # The owner who asked (an id that names no one once the users are erased).
    requested_by: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Stripe's ids, known when it was asked: what billing deletes at Stripe and the gateway purges.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    requested_at: Mapped[datetime]
    subscription_ended_at: Mapped[datetime | None]
    stripe_customer_deleted_at: Mapped[datetime | None]
    billing_erased_at: Mapped[datetime | None]
    banking_erased_at: Mapped[datetime | None]
    gateway_erased_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Failed runs of the Stripe steps so far, and why the last one failed.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
