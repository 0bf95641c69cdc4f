"""Banking's part of a company's data export, on billing's privacy queue."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.exports import events
from billing.exports.schemas import CompanyExported
from billing.registries import privacy_events
from billing.runtime import Runtime
from finhub_shared.events import EventEnvelope, utcnow


@privacy_events.on("company.exported")
async def on_company_exported(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    exported = CompanyExported.model_validate(envelope.data)
    await events.company_exported(session, exported, runtime.settings, utcnow())
