"""The streams users hold open, counted across every API replica."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.orm import Mapped, mapped_column

from live.database import Base


class OpenStream(Base):
    """A stream a user holds open, beating while it runs: a user may hold only a few."""

    __tablename__ = "live_streams"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    user_id: Mapped[UUID] = mapped_column(index=True)
    company_id: Mapped[UUID]
    opened_at: Mapped[datetime]
    # A stream whose replica died stops beating, and stops counting once it is stale.
    seen_at: Mapped[datetime]
