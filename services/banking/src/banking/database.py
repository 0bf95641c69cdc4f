"""Banking's table base, and its inbox and outbox tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from finhub_shared.db import new_metadata
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    # Every time is timezone-aware UTC; every free-form document is JSONB.
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}


class InboxEvent(InboxEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
