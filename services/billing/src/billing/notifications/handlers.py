"""Notifications other services ask for (banking: monthly limit reached, consent revoked...)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications import service
from billing.notifications.schemas import NotificationRequested
from billing.registries import notification_events
from billing.runtime import Runtime
from finhub_shared.events import EventEnvelope


@notification_events.on("notification.requested")
async def on_notification_requested(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    request = NotificationRequested.model_validate(envelope.data)
    details = request.model_extra or {}
    title = request.title or request.kind.replace("_", " ").capitalize()
    await service.notify(session, request.company_id, request.kind, title, request.message, details)
