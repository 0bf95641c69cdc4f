"""Billing's worker: consumes Stripe and banking events, relays its outbox."""

from __future__ import annotations

from billing.config import get_settings
from billing.database import InboxEvent, OutboxMessage
from finhub_shared.bus import ConsumerQueue
from finhub_shared.inbox import HandlerRegistry
from finhub_shared.worker import Subscription, run_worker

# Each domain's handlers.py registers on these; import them below so the registries are complete.
stripe_events = HandlerRegistry()
usage_events = HandlerRegistry()

SUBSCRIPTIONS = (
    Subscription(ConsumerQueue("billing.stripe", ("stripe.#",)), stripe_events),
    Subscription(ConsumerQueue("billing.usage", ("banking.usage.#",)), usage_events),
)


async def run() -> None:
    """Run billing's consumers and outbox relay until stopped."""
    settings = get_settings()
    await run_worker(
        service="billing",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        inbox_model=InboxEvent,
        outbox_model=OutboxMessage,
        subscriptions=SUBSCRIPTIONS,
    )
