"""Admin API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StoredEventSummary(BaseModel):
    """One stored event, without its body."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    event_id: str
    event_type: str
    status: str
    company_id: uuid.UUID | None
    occurred_at: datetime
    received_at: datetime
    published_at: datetime | None


class StoredEventDetail(StoredEventSummary):
    """One stored event with the headers (secrets were never stored) and the body as received."""

    headers: dict[str, str]
    body: str


class EventPage(BaseModel):
    items: list[StoredEventSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next (older) page; null on the last page."
    )


class EventFilter(BaseModel):
    source: Literal["stripe", "pluggy"] | None = None
    type: str | None = Field(None, max_length=255)
    status: Literal["queued", "published", "ignored"] | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


class ReplayResult(BaseModel):
    replayed: int
