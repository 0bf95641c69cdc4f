"""Billing's request to erase a company."""

from __future__ import annotations

from banking.erasure import service
from banking.erasure.schemas import DeletionRequested
from banking.registries import erasure_events
from banking.runtime import Runtime
from finhub_shared.events import EventEnvelope
from finhub_shared.inbox import Effect


@erasure_events.on("company.deletion_requested")
async def on_deletion_requested(runtime: Runtime, envelope: EventEnvelope) -> Effect:
    return await service.erase_company(runtime, DeletionRequested.model_validate(envelope.data))
