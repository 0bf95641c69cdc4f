"""The worker's periodic jobs: postponed syncs requeued, expired MFA prompts wiped, PIX
payments nobody authorised timed out."""

from __future__ import annotations

import structlog

from banking.items import service as items
from banking.pix import service as pix
from banking.sync import service as sync
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def requeue_postponed_syncs(database: Database) -> None:
    """Syncs postponed because the bank or Pluggy was down go back on the queue when due."""
    async with database.transaction() as session:
        requeued = await sync.requeue_postponed(session, utcnow())
    if requeued:
        log.info("postponed_syncs_requeued", count=requeued)


async def wipe_expired_mfa_prompts(database: Database) -> None:
    """MFA prompts whose answering window closed are forgotten."""
    async with database.transaction() as session:
        wiped = await items.wipe_expired_mfa(session, utcnow())
    if wiped:
        log.info("expired_mfa_prompts_wiped", count=wiped)


async def time_out_unauthorised_payments(database: Database) -> None:
    """PIX payments nobody authorised within 30 minutes time out."""
    async with database.transaction() as session:
        timed_out = await pix.time_out_unauthorised(session, utcnow())
    if timed_out:
        log.info("pix_payments_timed_out", count=timed_out)


PERIODIC_JOBS = (
    PeriodicJob("requeue-postponed-syncs", 30, requeue_postponed_syncs),
    PeriodicJob("wipe-expired-mfa-prompts", 15, wipe_expired_mfa_prompts),
    PeriodicJob("time-out-unauthorised-payments", 60, time_out_unauthorised_payments),
)
