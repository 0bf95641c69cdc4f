"""API shapes of a company's deletion, and the confirmations the other services publish."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DeletionRequest(BaseModel):
    # Typed by the owner: a destructive action that cannot be undone is confirmed on purpose.
    company_name: str = Field(max_length=200)


class DeletionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    company_id: UUID
    status: str
    requested_at: datetime
    subscription_ended_at: datetime | None
    stripe_customer_deleted_at: datetime | None
    billing_erased_at: datetime | None
    banking_erased_at: datetime | None
    gateway_erased_at: datetime | None
    completed_at: datetime | None
    attempts: int
    last_error: str | None


class CompanyErased(BaseModel):
    """`banking.company.erased` / `gateway.company.erased`: a service erased what it held."""

    deletion_id: UUID
    company_id: UUID
