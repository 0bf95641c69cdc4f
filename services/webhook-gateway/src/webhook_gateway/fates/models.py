"""The event fates: each event's state per consuming queue, its steps, and the queues known."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from webhook_gateway.database import Base


class EventFate(Base):
    """Where one event stands on one consuming queue: the newest outcome reported there."""

    __tablename__ = "event_fates"
    __table_args__ = (Index("ix_event_fates_at", "at"),)

    event_source: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    queue: Mapped[str] = mapped_column(String(255), primary_key=True)
    service: Mapped[str] = mapped_column(String(100))
    # handled, retrying, dead_lettered, ignored, replayed or dropped (outcomes.State)
    state: Mapped[str] = mapped_column(String(20))
    # When the queue's consumer reached this state (its clock).
    at: Mapped[datetime]
    attempts: Mapped[int]
    last_error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class FateStep(Base):
    """One outcome as reported: the history of an event on a queue (its attempts, replays)."""

    __tablename__ = "event_fate_steps"
    __table_args__ = (
        Index("ix_event_fate_steps_event", "event_source", "event_id", "at"),
        Index("ix_event_fate_steps_at", "at"),
    )

    # The outcome message's own id.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_source: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    queue: Mapped[str] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    attempts: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class FateQueue(Base):
    """A consuming queue as its consumer last described it: the routing keys it binds, so an
    event it should receive and never answered for shows as pending."""

    __tablename__ = "fate_queues"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    service: Mapped[str] = mapped_column(String(100))
    binding_keys: Mapped[list[str]] = mapped_column(JSONB)
    # The bindings as one regular expression over a routing key (Python's and PostgreSQL's).
    pattern: Mapped[str] = mapped_column(Text)
    # Events received before a queue was first heard of are not expected of it.
    known_since: Mapped[datetime]
    reported_at: Mapped[datetime]
