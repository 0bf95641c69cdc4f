"""The gateway's worker: relays stored webhooks from its outbox to the bus, and prunes old ones."""

from __future__ import annotations

from datetime import timedelta

import structlog

from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob, run_worker
from webhook_gateway.config import get_settings
from webhook_gateway.database import OutboxMessage
from webhook_gateway.webhooks import repository

log = structlog.get_logger(__name__)


async def prune_old_events(database: Database) -> None:
    """Delete stored events older than the retention setting (WEBHOOK_RETENTION_DAYS)."""
    cutoff = utcnow() - timedelta(days=get_settings().retention_days)
    async with database.transaction() as session:
        events = await repository.delete_received_before(session, cutoff)
    log.info("webhooks_pruned", events=events)


async def run() -> None:
    """Run the outbox relay and the retention job until stopped."""
    settings = get_settings()
    await run_worker(
        service="webhook-gateway",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        outbox_model=OutboxMessage,
        jobs=[PeriodicJob("prune-old-events", every_seconds=3600, run=prune_old_events)],
    )
