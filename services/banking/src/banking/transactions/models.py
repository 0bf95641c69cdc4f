"""The transactions table: one row per Pluggy transaction, upserted by Pluggy's id."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

DEBIT = "DEBIT"
CREDIT = "CREDIT"

# Where a transaction's category came from; a user's choice is never overwritten by a sync.
CATEGORY_FROM_PLUGGY = "pluggy"
CATEGORY_FROM_RULE = "rule"
CATEGORY_FROM_USER = "user"
# The company's learned model (banking.learning), when the company lets it categorise.
CATEGORY_FROM_MODEL = "learned"


class Transaction(CompanyOwned, Base):
    __tablename__ = "transactions"
    __table_args__ = (
        # The listing's stable order: newest first, ties broken by id.
        Index("ix_transactions_company_date_id", "company_id", "date", "id"),
        # The few hidden past their month's limit, counted and shown again by month.
        Index(
            "ix_transactions_hidden",
            "company_id",
            "date",
            "id",
            postgresql_where=text("over_limit"),
        ),
    )

    # Server-generated so that a sync can insert a whole page in one statement.
    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=text("gen_random_uuid()")
    )
    # Typed explicitly: the sync's upsert needs the type before the referenced table is known.
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    pluggy_transaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    date: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text)
    merchant_name: Mapped[str | None] = mapped_column(String(200))
    # Always positive; `type` says which way the money went (DEBIT out, CREDIT in).
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(10))
    currency_code: Mapped[str] = mapped_column(String(3))
    # POSTED or PENDING.
    status: Mapped[str | None] = mapped_column(String(20))
    pluggy_category_id: Mapped[str | None] = mapped_column(String(20))
    category_id: Mapped[str | None] = mapped_column(String(20), index=True)
    category_name: Mapped[str | None] = mapped_column(String(200))
    category_source: Mapped[str | None] = mapped_column(String(10))
    # How sure the learned model was of the category it gave (0..1); None for any other source.
    category_confidence: Mapped[float | None] = mapped_column(Float)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("category_rules.id", ondelete="SET NULL")
    )
    # Arrived after its month's transaction limit was reached: kept, but hidden from listings
    # and the dashboard until the plan allows it (an upgrade shows it again).
    over_limit: Mapped[bool] = mapped_column(Boolean, server_default="false")
    pluggy_created_at: Mapped[datetime]
    # An older version of the transaction arriving late never overwrites a newer one.
    pluggy_updated_at: Mapped[datetime]
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())
