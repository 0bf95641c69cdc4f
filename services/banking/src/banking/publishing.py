"""What banking publishes, always through its outbox (written in the caller's transaction)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from banking.database import OutboxMessage
from finhub_shared.events import new_event
from finhub_shared.outbox import enqueue

NOTIFICATION_REQUESTED = "notification.requested"


async def publish(
    session: AsyncSession, event_type: str, data: dict[str, Any], company_id: UUID
) -> str:
    """Queue `banking.<event_type>` for publishing when the transaction commits; its id."""
    envelope = new_event("banking", event_type, data, company_id=company_id)
    await enqueue(session, OutboxMessage, envelope)
    return envelope.id


async def notify_company(
    session: AsyncSession, company_id: UUID, kind: str, message: str, **details: Any
) -> None:
    """Ask for a notification to the company's users (billing stores and streams them)."""
    payload = notification_payload(company_id, kind, message, **details)
    await publish(session, NOTIFICATION_REQUESTED, payload, company_id)


def notification_payload(
    company_id: UUID, kind: str, message: str, **details: Any
) -> dict[str, Any]:
    """The `data` of `banking.notification.requested`, as billing reads it."""
    return {"company_id": str(company_id), "kind": kind, "message": message, **details}
