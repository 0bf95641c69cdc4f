"""Billing's request for banking's part of a company's data export."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel


class ExportRequested(BaseModel):
    """`billing.company.export_requested`."""

    export_id: UUID
    company_id: UUID
