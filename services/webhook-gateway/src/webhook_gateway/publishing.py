"""What the gateway publishes of its own (beside the webhooks it relays), through its outbox."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.events import new_event
from finhub_shared.outbox import enqueue
from webhook_gateway.database import OutboxMessage

# The stored webhooks naming a deleted company are purged (billing records it).
COMPANY_ERASED = "company.erased"


class CompanyErased(BaseModel):
    """The data of `gateway.company.erased`: how many stored webhooks were purged."""

    deletion_id: UUID
    company_id: UUID
    purged: int = Field(ge=0, description="Stored webhooks whose body and headers were erased.")


async def publish(
    session: AsyncSession, event_type: str, data: dict[str, Any], company_id: UUID
) -> str:
    """Queue `gateway.<event_type>` for publishing when the transaction commits; its id."""
    envelope = new_event("gateway", event_type, data, company_id=company_id)
    await enqueue(session, OutboxMessage, envelope)
    return envelope.id


def company_erased_data(deletion_id: UUID, company_id: UUID, purged: int) -> dict[str, Any]:
    """The data of `gateway.company.erased`."""
    erased = CompanyErased(deletion_id=deletion_id, company_id=company_id, purged=purged)
    return erased.model_dump(mode="json")
