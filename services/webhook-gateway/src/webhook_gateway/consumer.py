"""The gateway's worker: relays stored webhooks from its outbox to the bus, and prunes old ones."""

from __future__ import annotations

from finhub_shared.worker import run_worker, worker_database
from webhook_gateway.config import get_settings
from webhook_gateway.database import OutboxMessage
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks.jobs import retention_job


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
        jobs=[retention_job()],
    )
