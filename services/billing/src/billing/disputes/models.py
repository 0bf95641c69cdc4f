"""Chargebacks: a customer disputed a payment with their bank."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Dispute(CompanyOwned, Base):
    __tablename__ = "disputes"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payment_id: Mapped[UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    stripe_dispute_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(50))
    # Stripe's dispute statuses: needs_response, under_review, won, lost, warning_closed...
    status: Mapped[str] = mapped_column(String(30))
    evidence_due_by: Mapped[datetime | None]
    # withdrawn or reinstated, once Stripe has moved the disputed funds
    funds_status: Mapped[str | None] = mapped_column(String(20))
    stripe_created_at: Mapped[datetime] = mapped_column(index=True)
    synced_at: Mapped[datetime]
    # As Stripe's evidence_details say: some evidence is staged or submitted, and how often it
    # was submitted (Stripe takes one submission).
    has_evidence: Mapped[bool] = mapped_column(default=False, server_default=false())
    evidence_submission_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    evidence_submitted_at: Mapped[datetime | None]
    # The evidence fields Stripe holds for the dispute (their contents stay at Stripe).
    evidence_fields: Mapped[list[str]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # Counts the evidence saves: each save's idempotency key at Stripe is new.
    evidence_revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # When the company was told the evidence deadline is near (once per dispute).
    reminded_at: Mapped[datetime | None]


class EvidenceFile(CompanyOwned, Base):
    """A file uploaded to Stripe as evidence of a dispute: Stripe keeps the bytes, we its id."""

    __tablename__ = "dispute_evidence_files"
    __table_args__ = (UniqueConstraint("dispute_id", "field"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    dispute_id: Mapped[UUID] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"))
    # The evidence field the file fills (receipt, customer_communication...): one file each.
    field: Mapped[str] = mapped_column(String(50))
    stripe_file_id: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int]
    uploaded_at: Mapped[datetime]
