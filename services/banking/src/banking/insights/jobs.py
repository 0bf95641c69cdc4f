"""Insights' worker job: every company with insights computed at least once a day."""

from __future__ import annotations

import structlog

from banking.insights import service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

# How often the job looks for companies not computed today, and how many it asks for at once.
EVERY_SECONDS = 900
BATCH = 500


async def queue_daily_insights(runtime: Runtime) -> None:
    """Ask for the insights of companies not computed since Brazil's midnight."""
    async with runtime.database.transaction() as session:
        queued = await service.queue_due(session, utcnow(), BATCH)
    if queued:
        log.info("daily_insights_queued", count=queued)


def daily_insights_job() -> PeriodicJob[Runtime]:
    """The worker's daily computation of every company's insights."""
    return PeriodicJob("daily-insights", EVERY_SECONDS, queue_daily_insights)
