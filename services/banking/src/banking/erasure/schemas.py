"""The deletion billing asks for, as banking reads it."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel


class DeletionRequested(BaseModel):
    """`billing.company.deletion_requested`: erase everything of the company."""

    deletion_id: UUID
    company_id: UUID
