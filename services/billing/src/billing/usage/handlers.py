"""Banking's usage events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.registries import usage_events
from billing.runtime import Runtime
from billing.usage import events
from billing.usage.schemas import EVENT_TYPE, UsageChanged
from finhub_shared.events import EventEnvelope


@usage_events.on(EVENT_TYPE)
async def on_usage_changed(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    usage = UsageChanged.model_validate(envelope.data)
    await events.record(session, usage, envelope.occurred_at)
