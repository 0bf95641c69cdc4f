"""The live service's table base, and its inbox and outbox tables.

It publishes nothing; the outbox is there because every worker relays one (`run_worker`)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from finhub_shared.db import TYPE_ANNOTATION_MAP, new_metadata
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class InboxEvent(InboxEventMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
