"""The stored webhook deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webhook_gateway.database import Base


class WebhookEvent(Base):
    """A provider event as it arrived (raw body, headers minus secrets) and what became of it."""

    __tablename__ = "webhook_events"
    # event_id first, so the relay can mark rows published by event id alone.
    __table_args__ = (
        UniqueConstraint("event_id", "source"),
        Index("ix_webhook_events_received_at", "received_at"),
        Index("ix_webhook_events_source_type_received", "source", "event_type", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(255))
    # routed (queued for the bus through the outbox, whose rows say when it was published) or
    # ignored (an event type we do not route). Never updated (the table only grows, cheaply) but
    # to erase it: erased, its body `{}` and its headers gone with its company (erasure/).
    status: Mapped[str] = mapped_column(String(20))
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]]
    company_id: Mapped[uuid.UUID | None]
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # The Stripe API version the payload was rendered with (null for Pluggy): how to read it.
    api_version: Mapped[str | None] = mapped_column(String(64))
