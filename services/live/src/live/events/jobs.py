"""Retention: stored events older than LIVE_RETENTION_HOURS are deleted, every few minutes."""

from __future__ import annotations

from datetime import timedelta

import structlog

from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob
from live.events import repository
from live.runtime import Runtime

log = structlog.get_logger(__name__)

EVERY_SECONDS = 600


async def prune_old_events(runtime: Runtime) -> None:
    """Delete stored events older than the retention setting (LIVE_RETENTION_HOURS)."""
    cutoff = utcnow() - timedelta(hours=runtime.settings.retention_hours)
    async with runtime.database.transaction() as session:
        events = await repository.delete_recorded_before(session, cutoff)
    log.info("live_events_pruned", events=events)


def retention_job() -> PeriodicJob[Runtime]:
    """The worker's pruning of old stored events."""
    return PeriodicJob("prune-old-events", EVERY_SECONDS, prune_old_events)
