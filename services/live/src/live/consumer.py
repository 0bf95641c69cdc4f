"""The live worker: stores every event the streams show (queue `live.events`), prunes old ones."""

from __future__ import annotations

from finhub_shared.bus import ConsumerQueue
from finhub_shared.worker import Subscription, run_worker, worker_database
from live.config import LiveSettings, get_settings
from live.database import InboxEvent, OutboxMessage
from live.events.handlers import live_events
from live.events.jobs import retention_job
from live.events.schemas import ROUTING_KEYS
from live.runtime import Runtime
from live.streams.jobs import stale_streams_job

SUBSCRIPTIONS: tuple[Subscription[Runtime], ...] = (
    Subscription(ConsumerQueue("live.events", ROUTING_KEYS), live_events),
)


def worker_settings() -> LiveSettings:
    """The settings, taking one message at a time whatever CONSUMER_PREFETCH says: a company's
    events are then stored, and shown, in the order they were published (a message retried
    after an error comes later)."""
    return get_settings().model_copy(update={"consumer_prefetch": 1})


async def run() -> None:
    """Consume `live.events`, prune old events and forget dead streams until stopped."""
    settings = worker_settings()
    database = worker_database("live", settings.database_url.get_secret_value(), settings)
    await run_worker(
        service="live",
        runtime=Runtime(settings=settings, database=database),
        inbox_model=InboxEvent,
        outbox_model=OutboxMessage,
        subscriptions=SUBSCRIPTIONS,
        jobs=[retention_job(), stale_streams_job()],
    )
