"""API shapes of connectors."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class ConnectorRead(BaseModel):
    """An institution and its health as Pluggy last reported it (ONLINE, UNSTABLE, OFFLINE)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    image_url: str | None
    primary_color: str | None
    type: str | None
    is_open_finance: bool
    health_status: str | None
    health_reported_at: datetime | None
