"""Banking's worker: Pluggy events, billing's entitlements and sync jobs; relays its outbox."""

from __future__ import annotations

import httpx

from banking.config import get_settings
from banking.connectors import handlers as connector_handlers
from banking.connectors.jobs import refresh_catalogue_job, report_health_job
from banking.database import InboxEvent, OutboxMessage
from banking.entitlements import handlers as entitlement_handlers
from banking.erasure import handlers as erasure_handlers
from banking.exports import handlers as export_handlers
from banking.insights.handlers import insights_runner
from banking.insights.jobs import daily_insights_job
from banking.items import handlers as item_handlers
from banking.items.jobs import reconcile_unheard_job, retry_outdated_job, wipe_expired_mfa_job
from banking.learning.jobs import train_models_job
from banking.pix import handlers as pix_handlers
from banking.pix.jobs import time_out_unauthorised_job
from banking.pluggy import client_for, worker_retry
from banking.registries import entitlement_events, erasure_events, export_events, pluggy_events
from banking.runtime import Runtime
from banking.sync import handlers as sync_handlers
from banking.sync.jobs import recover_stalled_job, requeue_postponed_job
from banking.transactions import handlers as transaction_handlers
from finhub_shared.bus import ConsumerQueue
from finhub_shared.worker import Subscription, run_worker, worker_database

# Importing them is what registers their handlers.
HANDLER_MODULES = (
    connector_handlers,
    entitlement_handlers,
    erasure_handlers,
    export_handlers,
    item_handlers,
    pix_handlers,
    sync_handlers,
    transaction_handlers,
)

SYNC_TIME_LIMIT_SECONDS = 3600.0
# Two years of a busy company's transactions through every detector.
INSIGHTS_TIME_LIMIT_SECONDS = 600.0

SUBSCRIPTIONS: tuple[Subscription[Runtime], ...] = (
    Subscription(ConsumerQueue("banking.pluggy", ("pluggy.#",)), pluggy_events),
    Subscription(
        ConsumerQueue("banking.entitlements", ("billing.entitlements.#",)), entitlement_events
    ),
    Subscription(
        ConsumerQueue("banking.exports", ("billing.company.export_requested",)), export_events
    ),
    Subscription(
        ConsumerQueue("banking.erasure", ("billing.company.deletion_requested",)), erasure_events
    ),
    Subscription(
        ConsumerQueue("banking.sync-jobs", ("banking.sync.requested",)),
        own_transactions=sync_handlers.sync_job_runner,
        # A whole history can take a while to read; a sync stuck for real is found by its
        # job's heartbeat (recover-stalled-syncs), not by this limit.
        handler_time_limit_seconds=SYNC_TIME_LIMIT_SECONDS,
    ),
    Subscription(
        ConsumerQueue("banking.insights", ("banking.insights.requested",)),
        own_transactions=insights_runner,
        handler_time_limit_seconds=INSIGHTS_TIME_LIMIT_SECONDS,
    ),
)


async def run() -> None:
    """Run banking's consumers, periodic jobs and outbox relay until stopped."""
    settings = get_settings()
    pluggy = client_for(settings, worker_retry(settings))
    llm = httpx.AsyncClient()
    database = worker_database("banking", settings.database_url.get_secret_value(), settings)
    try:
        await run_worker(
            service="banking",
            runtime=Runtime(settings=settings, database=database, pluggy=pluggy, llm=llm),
            inbox_model=InboxEvent,
            outbox_model=OutboxMessage,
            subscriptions=SUBSCRIPTIONS,
            jobs=(
                requeue_postponed_job(),
                recover_stalled_job(),
                reconcile_unheard_job(settings.item_webhook_overdue_seconds / 2),
                retry_outdated_job(),
                wipe_expired_mfa_job(),
                time_out_unauthorised_job(),
                refresh_catalogue_job(settings.connector_catalogue_refresh_seconds),
                report_health_job(),
                daily_insights_job(),
                train_models_job(),
            ),
        )
    finally:
        await llm.aclose()
        await pluggy.aclose()
