"""The gateway's worker: relays stored webhooks from its outbox to the bus, prunes old ones,
purges those naming a deleted company (billing's request, banking's confirmation), and records
what their consumers report became of them (their fates)."""

from __future__ import annotations

# Imported so that they register their handlers.
import webhook_gateway.erasure.handlers
import webhook_gateway.fates.handlers  # noqa: F401
from finhub_shared.bus import ConsumerQueue
from finhub_shared.bus.outcomes import OUTCOME_ROUTING_KEY
from finhub_shared.worker import Subscription, run_worker, worker_database
from webhook_gateway.config import get_settings
from webhook_gateway.database import InboxEvent, OutboxMessage
from webhook_gateway.erasure.jobs import late_purge_job
from webhook_gateway.registries import FATES_QUEUE, fate_events, privacy_events
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks.jobs import retention_job

SUBSCRIPTIONS: tuple[Subscription[Runtime], ...] = (
    Subscription(
        ConsumerQueue(
            "webhook-gateway.privacy",
            ("billing.company.deletion_requested", "banking.company.erased"),
        ),
        privacy_events,
    ),
    Subscription(ConsumerQueue(FATES_QUEUE, (OUTCOME_ROUTING_KEY,)), fate_events),
)


async def run() -> None:
    """Run the outbox relay, the privacy and fates consumers and the retention jobs until
    stopped."""
    settings = get_settings()
    database = worker_database(
        "webhook-gateway", settings.database_url.get_secret_value(), settings
    )
    await run_worker(
        service="webhook-gateway",
        runtime=Runtime(settings=settings, database=database),
        inbox_model=InboxEvent,
        outbox_model=OutboxMessage,
        subscriptions=SUBSCRIPTIONS,
        jobs=[retention_job(), late_purge_job()],
    )
