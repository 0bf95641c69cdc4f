"""Retention: stored events older than WEBHOOK_RETENTION_DAYS are deleted, hourly, and so are
their fates (with the inbox rows of the outcomes that told them)."""

from __future__ import annotations

from datetime import timedelta

import structlog

from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob
from webhook_gateway.fates import repository as fates
from webhook_gateway.registries import FATES_QUEUE
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks import repository

log = structlog.get_logger(__name__)

EVERY_SECONDS = 3600


async def prune_old_events(runtime: Runtime) -> None:
    """Delete stored events older than the retention setting (WEBHOOK_RETENTION_DAYS), and
    fates not heard of since."""
    cutoff = utcnow() - timedelta(days=runtime.settings.retention_days)
    async with runtime.database.transaction() as session:
        events = await repository.delete_received_before(session, cutoff)
        fated = await fates.delete_before(session, cutoff, inbox_consumer=FATES_QUEUE)
    log.info("webhooks_pruned", events=events, fates=fated)


def retention_job() -> PeriodicJob[Runtime]:
    """The worker's hourly pruning of old stored events."""
    return PeriodicJob("prune-old-events", EVERY_SECONDS, prune_old_events)
