"""Pluggy's categories (shared by every company) and the companies' categorisation rules."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

FIELD_DESCRIPTION = "description"
FIELD_MERCHANT = "merchant"
MATCH_CONTAINS = "contains"
MATCH_EQUALS = "equals"
# A rule's text is compared with every synced transaction's: its length is bounded.
MAX_RULE_VALUE_LENGTH = 200


class Category(Base):
    __tablename__ = "categories"

    # Pluggy's 8-digit hierarchical id, e.g. 05000000 (Transfers) and its children 0501....
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    description_translated: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(20))


class CategoryRule(CompanyOwned, Base):
    """`field` `match` `value` (plus optional amount range and account) → `category_id`."""

    __tablename__ = "category_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    field: Mapped[str] = mapped_column(String(20))
    match: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(MAX_RULE_VALUE_LENGTH))
    min_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    max_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id"))
    # Lower runs first; among equals, the older rule.
    priority: Mapped[int] = mapped_column(Integer, server_default="100")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
