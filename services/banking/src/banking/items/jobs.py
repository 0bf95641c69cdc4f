"""The items' worker jobs: items whose webhook is overdue fetched from Pluggy, OUTDATED items
updated again, expired MFA prompts wiped."""

from __future__ import annotations

import structlog

from banking.items import service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def reconcile_unheard_items(runtime: Runtime) -> None:
    """Items in progress whose webhook is overdue (lost while we were down) are fetched from
    Pluggy, so a login, an MFA prompt or an update never stays unseen."""
    done = await service.reconcile_unheard(runtime.database, runtime, utcnow())
    if done.checked:
        log.info("unheard_items_reconciled", checked=done.checked, failed=done.failed)


def reconcile_unheard_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic check of items whose webhook is overdue."""
    return PeriodicJob("reconcile-unheard-items", every_seconds, reconcile_unheard_items)


async def retry_outdated_items(runtime: Runtime) -> None:
    """OUTDATED items (the bank did not answer) whose retry is due are updated again at Pluggy,
    so the user never has to ask."""
    done = await service.retry_outdated(runtime.database, runtime, utcnow())
    if done.asked:
        log.info("outdated_items_retried", asked=done.asked, failed=done.failed)


def retry_outdated_job() -> PeriodicJob[Runtime]:
    """The worker's periodic retry of OUTDATED items."""
    return PeriodicJob("retry-outdated-items", 30, retry_outdated_items)


async def wipe_expired_mfa_prompts(runtime: Runtime) -> None:
    """MFA prompts whose answering window closed are forgotten."""
    async with runtime.database.transaction() as session:
        wiped = await service.wipe_expired_mfa(session, utcnow())
    if wiped:
        log.info("expired_mfa_prompts_wiped", count=wiped)


def wipe_expired_mfa_job() -> PeriodicJob[Runtime]:
    """The worker's periodic wiping of expired MFA prompts."""
    return PeriodicJob("wipe-expired-mfa-prompts", 15, wipe_expired_mfa_prompts)
