"""Admin API shapes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from finhub_shared.fields import IsoInstant, Text
from webhook_gateway.fates.schemas import FateState, QueueFate


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 and the like: no such instant in UTC
        raise ValueError("the time is out of range once converted to UTC") from None


# What a filter can compare with a stored event: text PostgreSQL can hold, as long as a type.
EventTypeFilter = Annotated[Text, StringConstraints(min_length=1, max_length=255)]
Instant = Annotated[IsoInstant, AfterValidator(_in_utc)]


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
    api_version: str | None = Field(description="Stripe's API version of the body; null otherwise.")
    fates: list[QueueFate] = Field(
        description="What became of it on each queue that reported it or binds its routing key."
    )


class EventPage(BaseModel):
    items: list[StoredEventSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next (older) page; null on the last page."
    )


class EventFilter(BaseModel):
    """Which stored events; a misspelt field is refused, not ignored (it would widen a replay)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["stripe", "pluggy"] | None = None
    type: EventTypeFilter | None = None
    status: Literal["queued", "published", "ignored"] | None = None
    received_from: Instant | None = Field(None, description="Received at or after; with a zone.")
    received_to: Instant | None = Field(None, description="Received before; with a zone.")
    fate: FateState | None = Field(
        None, description="Events in this state on some queue (pending: one never answered)."
    )


class ReplayResult(BaseModel):
    replayed: int
