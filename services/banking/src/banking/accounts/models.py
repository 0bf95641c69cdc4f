"""The accounts table: one row per Pluggy account."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

# An active account is synced and counts against the plan; a blocked one is stored, not synced,
# not counted, until the plan has room for it.
ACTIVE = "active"
BLOCKED = "blocked"
# Why an account is blocked (the same code the connect token is refused with).
BANK_ACCOUNT_LIMIT_REACHED = "bank_account_limit_reached"


class BankAccount(CompanyOwned, Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pluggy_account_id: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    # BANK or CREDIT; subtype CHECKING_ACCOUNT, SAVINGS_ACCOUNT or CREDIT_CARD.
    type: Mapped[str] = mapped_column(String(20))
    subtype: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    marketing_name: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(200))
    currency_code: Mapped[str] = mapped_column(String(3))
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), server_default=ACTIVE)
    blocked_reason: Mapped[str | None] = mapped_column(String(40))
    # Pluggy's updatedAt of the stored balance: an older one arriving late is ignored.
    pluggy_updated_at: Mapped[datetime | None]
    # Where the next incremental sync starts (Pluggy's createdAtFrom); None before the first.
    synced_until: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
