"""The gateway's worker: relays stored webhooks from its outbox to the bus, and prunes old ones."""

from __future__ import annotations

from datetime import timedelta

import structlog

from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob, run_worker, worker_database
from webhook_gateway.config import get_settings
from webhook_gateway.database import OutboxMessage
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks import repository

log = structlog.get_logger(__name__)


async def prune_old_events(runtime: Runtime) -> None:
    """Delete stored events older than the retention setting (WEBHOOK_RETENTION_DAYS)."""
    cutoff = utcnow() - timedelta(days=runtime.settings.retention_days)
    async with runtime.database.transaction() as session:
        events = await repository.delete_received_before(session, cutoff)
    log.info("webhooks_pruned", events=events)


async def run() -> None:
    """Run the outbox relay and the retention job until stopped."""
    settings = get_settings()
    database = worker_database(
        "webhook-gateway", settings.database_url.get_secret_value(), settings
    )
    await run_worker(
        service="webhook-gateway",
        runtime=Runtime(settings=settings, database=database),
        outbox_model=OutboxMessage,
        jobs=[PeriodicJob("prune-old-events", every_seconds=3600, run=prune_old_events)],
    )
