"""The worker's periodic jobs: postponed syncs requeued, stalled syncs recovered, items whose
webhook is overdue fetched from Pluggy, expired MFA prompts wiped, PIX payments nobody authorised
timed out, Pluggy's list of connectors read again."""

from __future__ import annotations

import structlog

from banking.config import BankingSettings
from banking.connectors import service as connectors
from banking.items import service as items
from banking.pix import service as pix
from banking.runtime import Runtime
from banking.sync import service as sync
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def requeue_postponed_syncs(runtime: Runtime) -> None:
    """Syncs postponed because the bank or Pluggy was down go back on the queue when due."""
    async with runtime.database.transaction() as session:
        requeued = await sync.requeue_postponed(session, utcnow())
    if requeued:
        log.info("postponed_syncs_requeued", count=requeued)


async def recover_stalled_syncs(runtime: Runtime) -> None:
    """Syncs a crash left running, or whose message was lost, are queued again (or given up)."""
    async with runtime.database.transaction() as session:
        found = await sync.recover_stalled(session, runtime.settings, utcnow())
    if found:
        log.info("stalled_syncs_recovered", count=found)


async def reconcile_unheard_items(runtime: Runtime) -> None:
    """Items in progress whose webhook is overdue (lost while we were down) are fetched from
    Pluggy, so a login, an MFA prompt or an update never stays unseen."""
    done = await items.reconcile_unheard(runtime.database, runtime, utcnow())
    if done.checked:
        log.info("unheard_items_reconciled", checked=done.checked, failed=done.failed)


async def wipe_expired_mfa_prompts(runtime: Runtime) -> None:
    """MFA prompts whose answering window closed are forgotten."""
    async with runtime.database.transaction() as session:
        wiped = await items.wipe_expired_mfa(session, utcnow())
    if wiped:
        log.info("expired_mfa_prompts_wiped", count=wiped)


async def time_out_unauthorised_payments(runtime: Runtime) -> None:
    """PIX payments nobody authorised within 30 minutes time out."""
    async with runtime.database.transaction() as session:
        timed_out = await pix.time_out_unauthorised(session, utcnow())
    if timed_out:
        log.info("pix_payments_timed_out", count=timed_out)


async def refresh_connector_catalogue(runtime: Runtime) -> None:
    """The banks Pluggy offers, with their health (also at start-up, so the list is never empty)."""
    offered = await connectors.fetch_catalogue(runtime)
    async with runtime.database.transaction() as session:
        await connectors.keep_catalogue(session, offered, utcnow())
    log.info("connector_catalogue_refreshed", count=len(offered))


def periodic_jobs(settings: BankingSettings) -> tuple[PeriodicJob[Runtime], ...]:
    """Banking's periodic jobs and how often each runs."""
    return (
        PeriodicJob("requeue-postponed-syncs", 30, requeue_postponed_syncs),
        PeriodicJob("recover-stalled-syncs", 10, recover_stalled_syncs),
        PeriodicJob(
            "reconcile-unheard-items",
            settings.item_webhook_overdue_seconds / 2,
            reconcile_unheard_items,
        ),
        PeriodicJob("wipe-expired-mfa-prompts", 15, wipe_expired_mfa_prompts),
        PeriodicJob("time-out-unauthorised-payments", 60, time_out_unauthorised_payments),
        PeriodicJob(
            "refresh-connector-catalogue",
            settings.connector_catalogue_refresh_seconds,
            refresh_connector_catalogue,
        ),
    )
