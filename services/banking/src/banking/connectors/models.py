"""The connectors table: Pluggy's institutions our companies connect to (not company data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, func
from sqlalchemy.orm import Mapped, mapped_column

from banking.database import Base

HEALTH_OFFLINE = "OFFLINE"
HEALTHY = "ONLINE"


class Connector(Base):
    __tablename__ = "connectors"

    # Pluggy's own id.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    image_url: Mapped[str | None] = mapped_column(String(500))
    primary_color: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(50))
    is_open_finance: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # ONLINE, UNSTABLE or OFFLINE, as connector/status_updated last said.
    health_status: Mapped[str | None] = mapped_column(String(20))
    health_stage: Mapped[str | None] = mapped_column(String(20))
    health_reported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    @property
    def is_down(self) -> bool:
        """Whether the bank refuses connections now, so syncs must wait."""
        return self.health_status == HEALTH_OFFLINE
