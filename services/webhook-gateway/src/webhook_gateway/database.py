"""The gateway's table base, its outbox table, and its inbox (the erasures it is asked for)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from finhub_shared.db import TYPE_ANNOTATION_MAP, new_metadata
from finhub_shared.inbox import InboxEventMixin
from finhub_shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class InboxEvent(InboxEventMixin, Base):
    pass
