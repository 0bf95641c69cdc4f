"""Notifying a company's users: stored in the transaction of the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.notifications import repository
from billing.notifications.models import Notification
from billing.publishing import NOTIFICATION_CREATED, publish
from finhub_shared.auth import Principal


async def notify(
    session: AsyncSession,
    company_id: UUID,
    kind: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> Notification | None:
    """Store a notification; the stream delivers it once the transaction commits. A company
    being deleted, or erased, gets none: nobody may read it, and the erasure must stay whole."""
    notification = await repository.add_if_active(
        session, company_id, kind=kind, title=title, message=message, data=data or {}
    )
    if notification is not None:
        await publish(session, NOTIFICATION_CREATED, live_data(notification), company_id)
    return notification


# How loud each notice is on the live stream; any other kind is "info".
_SEVERITY = {
    "payment_failed": "error",
    "dispute_opened": "error",
    "fraud_warning": "error",
    "trial_expired": "error",
    "payment_action_required": "warning",
    "dispute_evidence_due": "warning",
    "card_expiring": "warning",
    "trial_ending": "warning",
    "payment_retry_failed": "error",
    "subscription_paused": "warning",
    "subscription_cancelled": "warning",
    "consent_revoked": "warning",
    "transaction_limit_reached": "warning",
    "data_export_failed": "warning",
    "low_balance": "warning",
    "duplicate_charge": "warning",
}


def live_data(notification: Notification) -> dict[str, Any]:
    """The `data` of `billing.notification.created`, as the live stream shows it."""
    return {
        "notification_id": str(notification.id),
        "kind": notification.kind,
        "severity": _SEVERITY.get(notification.kind, "info"),
        "title": notification.title,
        "message": notification.message,
        "link": (notification.data or {}).get("link"),
    }


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: int, now: datetime
) -> Notification:
    """Mark one of the caller's notifications as read (idempotent)."""
    owned = await repository.get_for(session, principal, notification_id)
    if owned.read_at is None:
        owned.read_at = now
        await session.flush()
    return owned
