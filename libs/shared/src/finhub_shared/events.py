"""The event envelope that travels on `finhub.events`, and routing-key helpers (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

EXCHANGE = "finhub.events"
SCHEMA_VERSION = 1

# `bus`: what consumers tell of the events they took (finhub_shared.bus.outcomes).
Source = Literal["stripe", "pluggy", "billing", "banking", "gateway", "bus"]


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


def routing_key(source: str, event_type: str) -> str:
    """`<source>.<type>` with the provider's separators turned into dots: `pluggy.item.updated`."""
    return f"{source}.{event_type.replace('/', '.')}"


class EventEnvelope(BaseModel):
    """One message on the bus; `data` is the provider's payload, untouched."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=255)
    source: Source
    type: str = Field(min_length=1, max_length=255)
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    company_id: uuid.UUID | None = None
    data: dict[str, Any]
    schema_version: int = SCHEMA_VERSION

    @property
    def routing_key(self) -> str:
        """Where this envelope is published."""
        return routing_key(self.source, self.type)


def new_event(
    source: Source,
    event_type: str,
    data: dict[str, Any],
    *,
    company_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> EventEnvelope:
    """An envelope for an event of our own (billing.*, banking.*), with a fresh UUID id."""
    now = utcnow()
    return EventEnvelope(
        id=str(uuid.uuid4()),
        source=source,
        type=event_type,
        occurred_at=occurred_at or now,
        received_at=now,
        company_id=company_id,
        data=data,
    )
