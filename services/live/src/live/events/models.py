"""Stored events, numbered per company, kept LIVE_RETENTION_HOURS for streams to resume from."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from live.database import Base


class CompanySequence(Base):
    """The last `seq` given to one company's events: taking the next one locks the row until
    the event's transaction ends, so a company's events commit in `seq` order."""

    __tablename__ = "live_company_sequences"

    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)


class LiveEvent(Base):
    """One consumed event; `seq` is its SSE id, increasing without reuse within its company."""

    __tablename__ = "live_events"
    __table_args__ = (
        Index("ix_live_events_recorded_at", "recorded_at"),
        # What a stream's opening looks up: has this log-in been revoked?
        Index(
            "ix_live_events_revocations",
            "company_id",
            postgresql_where=text("type = 'session.revoked'"),
        ),
    )

    company_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The bus event it came from: stored once, whatever the redeliveries.
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    # The SSE event name (item.status...), or session.revoked, which is never shown.
    type: Mapped[str] = mapped_column(String(50))
    shown: Mapped[bool]
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    data: Mapped[dict[str, Any]]
    # The W3C trace context of the work that stored it, so its delivery joins the same trace.
    trace_context: Mapped[dict[str, str] | None] = mapped_column(JSONB)
