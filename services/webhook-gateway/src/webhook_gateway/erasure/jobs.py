"""The late purge: webhooks a provider sends about a company after its erasure are purged too."""

from __future__ import annotations

from datetime import timedelta

import structlog

from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob
from webhook_gateway.erasure import service
from webhook_gateway.runtime import Runtime

log = structlog.get_logger(__name__)

EVERY_SECONDS = 600
# Providers retry a webhook for up to three days (Stripe); later ones are not expected.
WATCHED_FOR = timedelta(days=3)


async def purge_late_webhooks(runtime: Runtime) -> None:
    """Purge what arrived since the last run about companies erased in the last days."""
    async with runtime.database.transaction() as session:
        purged = await service.purge_late(session, utcnow() - WATCHED_FOR)
    if purged:
        log.info("late_webhooks_purged", events=purged)


def late_purge_job() -> PeriodicJob[Runtime]:
    """The worker's periodic purge of webhooks that came after an erasure."""
    return PeriodicJob("purge-late-webhooks", EVERY_SECONDS, purge_late_webhooks)
