"""The sync jobs table: each requested sync of one account and how it went."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

QUEUED = "queued"
RUNNING = "running"
POSTPONED = "postponed"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"

# A job in one of these is still to run: asking again returns it rather than a new one.
PENDING_STATUSES = frozenset({QUEUED, RUNNING, POSTPONED})

TRIGGER_MANUAL = "manual"
TRIGGER_CONNECTION = "connection"
TRIGGER_WEBHOOK = "webhook"
TRIGGER_COMMAND_LINE = "command_line"


class SyncJob(CompanyOwned, Base):
    __tablename__ = "sync_jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    # Pluggy's createdAtFrom to use instead of the account's own mark (transactions/created).
    created_at_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_count: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_count: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
