"""The connectors' worker job: Pluggy's list of banks read again."""

from __future__ import annotations

import structlog

from banking.connectors import service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def refresh_connector_catalogue(runtime: Runtime) -> None:
    """The banks Pluggy offers, with their health (also at start-up, so the list is never empty)."""
    offered = await service.fetch_catalogue(runtime)
    async with runtime.database.transaction() as session:
        await service.keep_catalogue(session, offered, utcnow())
    log.info("connector_catalogue_refreshed", count=len(offered))


def refresh_catalogue_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic reading of Pluggy's connector catalogue."""
    return PeriodicJob("refresh-connector-catalogue", every_seconds, refresh_connector_catalogue)
