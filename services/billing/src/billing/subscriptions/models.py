"""A company's billing state: one row per company, locked by every change to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Subscription(CompanyOwned, Base):
    __tablename__ = "subscriptions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # trial, active, past_due, paused, cancelled, expired
    status: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    billing_period: Mapped[str | None] = mapped_column(String(10))
    trial_ends_at: Mapped[datetime | None]
    trial_notice_sent_at: Mapped[datetime | None]
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_item_id: Mapped[str | None] = mapped_column(String(255))
    stripe_status: Mapped[str | None] = mapped_column(String(30))
    current_period_start: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    canceled_at: Mapped[datetime | None]
    # Stripe's time of the event that set the current status, and of the newest subscription
    # snapshot applied: an event older than these cannot move the state back.
    status_changed_at: Mapped[datetime | None]
    stripe_synced_at: Mapped[datetime | None]
    # What the user must do to keep paying, e.g. confirm a renewal with 3-D Secure.
    action_required: Mapped[dict[str, Any] | None]
    # Increases with every entitlements snapshot published, so receivers can drop stale ones.
    entitlements_version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class DuplicateSubscription(CompanyOwned, Base):
    """A second live Stripe subscription of a company that already pays for one: the worker
    cancels it at Stripe and refunds its first payment (`subscriptions.duplicates`)."""

    __tablename__ = "duplicate_subscriptions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    # The invoice of its first payment, as Stripe named it when we first heard of it.
    first_invoice_id: Mapped[str | None] = mapped_column(String(255))
    # to_cancel, to_refund (cancelled at Stripe), settled
    status: Mapped[str] = mapped_column(String(20), index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    refunded_cents: Mapped[int | None]
    # Failed runs of the job so far, and why the last one failed.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
