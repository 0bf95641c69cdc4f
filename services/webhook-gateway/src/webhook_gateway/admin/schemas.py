"""Admin API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class StoredEventSummary(BaseModel):
    """One stored event, without its body, and how far it got towards the bus."""

    id: uuid.UUID
    source: str
    event_id: str
    event_type: str
    status: Literal["queued", "published", "ignored"]
    company_id: uuid.UUID | None
    occurred_at: datetime
    received_at: datetime
    published_at: datetime | None = Field(
        description="When the broker confirmed it; null while queued or once its record is pruned."
    )


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
