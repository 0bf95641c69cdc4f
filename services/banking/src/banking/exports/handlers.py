"""Billing's request for banking's part of a company's data export, on `banking.exports`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.exports import service
from banking.exports.schemas import ExportRequested
from banking.registries import export_events
from banking.runtime import Runtime
from finhub_shared.events import EventEnvelope, utcnow


@export_events.on("company.export_requested")
async def on_export_requested(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await service.export_company(session, ExportRequested.model_validate(envelope.data), utcnow())
