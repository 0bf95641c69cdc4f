"""The gateway's worker: relays stored webhooks from its outbox to the bus."""

from __future__ import annotations

from finhub_shared.worker import run_worker
from webhook_gateway.config import get_settings
from webhook_gateway.database import OutboxMessage


async def run() -> None:
    """Run the outbox relay until stopped."""
    settings = get_settings()
    await run_worker(
        service="webhook-gateway",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        outbox_model=OutboxMessage,
    )
