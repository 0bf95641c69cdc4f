"""The sync jobs table: each requested sync of one account and how it went."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base
from finhub_shared.auth import CompanyOwned

QUEUED = "queued"
RUNNING = "running"
POSTPONED = "postponed"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"

# A job in one of these waits for a worker: asking again returns it rather than a new one.
WAITING_STATUSES = (QUEUED, POSTPONED)

TRIGGER_MANUAL = "manual"
TRIGGER_CONNECTION = "connection"
TRIGGER_WEBHOOK = "webhook"
TRIGGER_COMMAND_LINE = "command_line"
# Pluggy had new data whose webhook never came (found by the worker's overdue-webhook check).
TRIGGER_RECONCILE = "reconcile"


class SyncJob(CompanyOwned, Base):
    __tablename__ = "sync_jobs"
    __table_args__ = (
        # The stalled-job sweep reads only the unfinished jobs, by their last sign of life.
        Index(
            "ix_sync_jobs_unfinished_heartbeat",
            "heartbeat_at",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    # Pluggy's createdAtFrom to use instead of the account's own mark (transactions/created).
    created_at_from: Mapped[datetime | None]
    created_count: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Transactions left out because they could not be stored, and why (counts by reason).
    skipped_count: Mapped[int] = mapped_column(Integer, server_default="0")
    skipped_reason: Mapped[str | None] = mapped_column(Text)
    # Runs started; a job that stalls this many times is given up (BANKING_SYNC_MAX_ATTEMPTS).
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    retry_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The job's last sign of life: queued, started, a page stored. Unfinished jobs silent for
    # too long were lost by a crash and are queued again.
    heartbeat_at: Mapped[datetime] = mapped_column(server_default=func.now())
