"""The connectors' worker jobs: Pluggy's list of banks read again, their health on /metrics."""

from __future__ import annotations

import structlog

from banking.connectors import metrics, repository, service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

# How often the worker's /metrics is brought up to date with the connectors' health.
HEALTH_REPORT_SECONDS = 30


async def refresh_connector_catalogue(runtime: Runtime) -> None:
    """The banks Pluggy offers, with their health (also at start-up, so the list is never empty)."""
    offered = await service.fetch_catalogue(runtime)
    async with runtime.database.transaction() as session:
        await service.keep_catalogue(session, offered, utcnow())
    log.info("connector_catalogue_refreshed", count=len(offered))


def refresh_catalogue_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic reading of Pluggy's connector catalogue."""
    return PeriodicJob("refresh-connector-catalogue", every_seconds, refresh_connector_catalogue)


async def report_connector_health(runtime: Runtime) -> None:
    """The connectors' health as the database holds it (Pluggy's events and the catalogue write
    it, in whichever replica), on this worker's /metrics."""
    async with runtime.database.transaction() as session:
        connectors = await repository.every(session)
    metrics.report_health(connectors)


def report_health_job() -> PeriodicJob[Runtime]:
    """The worker's periodic report of the connectors' health."""
    return PeriodicJob("report-connector-health", HEALTH_REPORT_SECONDS, report_connector_health)
