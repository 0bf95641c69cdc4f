"""API shapes of connectors."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class ConnectorFilters(BaseModel):
    """What `GET /connectors/` narrows the list by; every filter is optional."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, min_length=1, max_length=100, description="Part of the name.")
    type: (
        Literal[
            "PERSONAL_BANK", "BUSINESS_BANK", "INVESTMENT", "INVOICE", "TELECOMMUNICATION", "OTHER"
        ]
        | None
    ) = None
    open_finance: bool | None = None
