"""Banking's table base, and its inbox and outbox tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from finhub_shared.db import new_metadata
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


class InboxEvent(InboxEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
