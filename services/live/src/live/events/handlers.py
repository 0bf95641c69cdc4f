"""The live worker's handlers: every event of the contract is stored for the streams."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.events import EventEnvelope
from finhub_shared.inbox import HandlerRegistry
from live.events import service
from live.events.schemas import ROUTING_KEYS
from live.runtime import Runtime

live_events: HandlerRegistry[Runtime] = HandlerRegistry()


@live_events.on(*(key.split(".", 1)[1] for key in ROUTING_KEYS))
async def record_event(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
    """Store the event for the streams of its company (in the inbox's transaction)."""
    await service.record(session, envelope)
