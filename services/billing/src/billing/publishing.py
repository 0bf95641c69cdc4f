"""What billing publishes, always through its outbox (written in the caller's transaction)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from billing.database import OutboxMessage
from finhub_shared.events import new_event
from finhub_shared.outbox import enqueue

if TYPE_CHECKING:
    from billing.erasure.models import CompanyDeletion

# What the live stream reads (docs/DESIGN.md, "What the live stream shows").
NOTIFICATION_CREATED = "notification.created"
SESSION_REVOKED = "session.revoked"
# What banking and the gateway read to erase a company (billing.erasure).
COMPANY_DELETION_REQUESTED = "company.deletion_requested"
# Asks banking for its part of a company's data export (it answers `banking.company.exported`).
COMPANY_EXPORT_REQUESTED = "company.export_requested"


class DeletionRequested(BaseModel):
    """The data of `billing.company.deletion_requested`: what the others erase, and what the
    gateway looks for in the Stripe webhooks it stored."""

    deletion_id: UUID
    company_id: UUID
    stripe_customer_id: str | None = Field(max_length=255)
    stripe_subscription_id: str | None = Field(max_length=255)
    requested_at: AwareDatetime


async def publish(
    session: AsyncSession, event_type: str, data: dict[str, Any], company_id: UUID
) -> str:
    """Queue `billing.<event_type>` for publishing when the transaction commits; its id."""
    envelope = new_event("billing", event_type, data, company_id=company_id)
    await enqueue(session, OutboxMessage, envelope)
    return envelope.id


def session_revoked_data(user_id: UUID, session_id: UUID | None) -> dict[str, Any]:
    """The `data` of `billing.session.revoked`: one log-in of the user, or every one (None)."""
    return {"user_id": str(user_id), "session_id": str(session_id) if session_id else None}


def export_requested_data(export_id: UUID, company_id: UUID) -> dict[str, Any]:
    """The `data` of `billing.company.export_requested`."""
    return {"export_id": str(export_id), "company_id": str(company_id)}


def deletion_requested_data(deletion: CompanyDeletion) -> dict[str, Any]:
    """The `data` of `billing.company.deletion_requested`."""
    return DeletionRequested(
        deletion_id=deletion.id,
        company_id=deletion.company_id,
        stripe_customer_id=deletion.stripe_customer_id,
        stripe_subscription_id=deletion.stripe_subscription_id,
        requested_at=deletion.requested_at,
    ).model_dump(mode="json")
