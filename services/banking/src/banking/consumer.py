"""Banking's worker: Pluggy events, billing's entitlements and sync jobs; relays its outbox."""

from __future__ import annotations

from banking.config import get_settings
from banking.database import InboxEvent, OutboxMessage
from finhub_shared.bus import ConsumerQueue
from finhub_shared.inbox import HandlerRegistry
from finhub_shared.worker import Subscription, run_worker

# Each domain's handlers.py registers on these; import them below so the registries are complete.
pluggy_events = HandlerRegistry()
entitlement_events = HandlerRegistry()
sync_jobs = HandlerRegistry()

SUBSCRIPTIONS = (
    Subscription(ConsumerQueue("banking.pluggy", ("pluggy.#",)), pluggy_events),
    Subscription(
        ConsumerQueue("banking.entitlements", ("billing.entitlements.#",)), entitlement_events
    ),
    Subscription(ConsumerQueue("banking.sync-jobs", ("banking.sync.#",)), sync_jobs),
)


async def run() -> None:
    """Run banking's consumers and outbox relay until stopped."""
    settings = get_settings()
    await run_worker(
        service="banking",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        inbox_model=InboxEvent,
        outbox_model=OutboxMessage,
        subscriptions=SUBSCRIPTIONS,
    )
