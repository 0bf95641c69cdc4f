"""Every table of the gateway, imported in one place so Alembic and the tests see them all."""

from webhook_gateway.database import Base, InboxEvent, OutboxMessage
from webhook_gateway.erasure.models import CompanyErasure
from webhook_gateway.fates.models import EventFate, FateQueue, FateStep
from webhook_gateway.webhooks.models import WebhookEvent

__all__ = [
    "Base",
    "CompanyErasure",
    "EventFate",
    "FateQueue",
    "FateStep",
    "InboxEvent",
    "OutboxMessage",
    "WebhookEvent",
]
