"""API shapes of notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    message: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationRequested(BaseModel):
    """`banking.notification.requested`: banking asks billing to tell a company's users."""

    model_config = ConfigDict(extra="allow")

    company_id: UUID
    kind: str = Field(min_length=1, max_length=50)
    message: str = Field(min_length=1, max_length=2000)
    # Banking's own title (an insight's, in Portuguese); without one, the kind spelled out.
    title: str | None = Field(None, min_length=1, max_length=200)
