"""What the gateway reads of billing's request and banking's confirmation."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field


class DeletionRequested(BaseModel):
    """`billing.company.deletion_requested`: the Stripe customer whose webhooks name the company."""

    deletion_id: UUID
    company_id: UUID
    stripe_customer_id: str | None = Field(None, min_length=1, max_length=255)


class BankingErased(BaseModel):
    """`banking.company.erased`: the Pluggy items whose webhooks name the company."""

    deletion_id: UUID
    company_id: UUID
    pluggy_item_ids: list[str] = Field(default_factory=list, max_length=10_000)
