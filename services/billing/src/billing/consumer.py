"""Billing's worker: consumes Stripe and banking events, runs its schedulers, relays its outbox."""

from __future__ import annotations

# Every handlers module, imported so that it registers on the registries.
import billing.checkout.handlers
import billing.customers.handlers
import billing.disputes.handlers
import billing.erasure.handlers
import billing.exports.handlers
import billing.fraud.handlers
import billing.invoices.handlers
import billing.notifications.handlers
import billing.payments.handlers
import billing.subscriptions.handlers
import billing.usage.handlers  # noqa: F401
from billing.accounts.jobs import quiet_throttles_job
from billing.config import get_settings
from billing.database import InboxEvent, OutboxMessage
from billing.disputes.jobs import dispute_reminders_job
from billing.dunning.jobs import dunning_job
from billing.erasure.jobs import erasure_job
from billing.exports.jobs import exports_job
from billing.fraud.jobs import fraud_refunds_job
from billing.registries import notification_events, privacy_events, stripe_events, usage_events
from billing.runtime import Runtime
from billing.stripe.client import open_stripe_client
from billing.subscriptions.jobs import duplicates_job, trials_job
from finhub_shared.bus import ConsumerQueue
from finhub_shared.worker import Subscription, run_worker, worker_database

SUBSCRIPTIONS: tuple[Subscription[Runtime], ...] = (
    Subscription(ConsumerQueue("billing.stripe", ("stripe.#",)), stripe_events),
    Subscription(ConsumerQueue("billing.usage", ("banking.usage.#",)), usage_events),
    Subscription(
        ConsumerQueue("billing.notifications", ("banking.notification.#",)), notification_events
    ),
    Subscription(
        ConsumerQueue("billing.privacy", ("banking.company.#", "gateway.company.#")),
        privacy_events,
    ),
)


async def run() -> None:
    """Run billing's consumers, schedulers and outbox relay until stopped."""
    settings = get_settings()
    database = worker_database("billing", settings.database_url.get_secret_value(), settings)
    async with open_stripe_client(settings) as stripe_client:
        every = settings.jobs_interval_seconds
        await run_worker(
            service="billing",
            runtime=Runtime(settings=settings, database=database, stripe=stripe_client),
            inbox_model=InboxEvent,
            outbox_model=OutboxMessage,
            subscriptions=SUBSCRIPTIONS,
            jobs=(
                trials_job(every),
                dunning_job(every),
                fraud_refunds_job(every),
                dispute_reminders_job(every),
                duplicates_job(every),
                quiet_throttles_job(every),
                erasure_job(every),
                exports_job(every),
            ),
        )
