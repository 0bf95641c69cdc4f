"""Computations of insights asked for on banking's own queue (after a sync, daily, after a
settings change)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog

from banking.insights import service
from banking.runtime import Runtime
from finhub_shared.bus import MessageHandler
from finhub_shared.events import EventEnvelope, utcnow

log = structlog.get_logger(__name__)


def insights_runner(runtime: Runtime) -> MessageHandler:
    """`banking.insights`' handler. It commits as it goes (no transaction is open while the
    detectors run), so it needs no inbox: a request already answered by a later computation
    does nothing."""

    async def compute_requested(envelope: EventEnvelope) -> None:
        if envelope.type != service.INSIGHTS_REQUESTED:
            log.info("event_ignored")
            return
        company_id = UUID(envelope.data["company_id"])
        requested_at = datetime.fromisoformat(envelope.data["requested_at"])
        await service.refresh(runtime, company_id, requested_at, utcnow)

    return compute_requested
