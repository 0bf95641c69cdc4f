"""API shapes of sync jobs."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class SyncAccepted(BaseModel):
    job_id: uuid.UUID
    status: str


class SyncJobRead(BaseModel):
    """One requested sync: queued, running, postponed (the bank is down), or how it ended
    (succeeded, failed, skipped); transactions that could not be stored are counted as skipped."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    account_id: uuid.UUID
    status: str
    trigger: str
    created_count: int
    updated_count: int
    skipped_count: int
    skipped_reason: str | None
    attempts: int
    error: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    retry_at: datetime | None
    heartbeat_at: datetime
