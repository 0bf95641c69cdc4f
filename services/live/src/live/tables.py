"""Every table of the live service, imported in one place so Alembic and the tests see them all."""

from live.database import Base, InboxEvent, OutboxMessage
from live.events.models import CompanySequence, LiveEvent
from live.streams.models import OpenStream

__all__ = ["Base", "CompanySequence", "InboxEvent", "LiveEvent", "OpenStream", "OutboxMessage"]
