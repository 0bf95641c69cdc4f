"""The outcomes consumers report on the bus (`bus.outcome`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.bus.outcomes import OUTCOME_TYPE, Outcomes
from finhub_shared.events import EventEnvelope
from webhook_gateway.fates import service
from webhook_gateway.registries import fate_events
from webhook_gateway.runtime import Runtime


@fate_events.on(OUTCOME_TYPE)
async def on_outcomes(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    await service.record(session, Outcomes.model_validate(envelope.data).outcomes)
