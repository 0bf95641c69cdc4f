"""Banking's and the gateway's confirmations that they erased a company."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.erasure import service
from billing.registries import privacy_events
from billing.runtime import Runtime
from finhub_shared.events import EventEnvelope


@privacy_events.on("company.erased")
async def on_company_erased(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await service.record_confirmation(session, envelope)
