"""The subscriptions' worker jobs: the trial scheduler (expires trials without a paid plan, and
warns three days before), and the settling of duplicate subscriptions (cancel, refund)."""

from __future__ import annotations

from datetime import datetime

import stripe as stripe_sdk
import structlog

from billing.audit.service import job_actor
from billing.runtime import Runtime
from billing.subscriptions import duplicates, repository, service
from finhub_shared.db import Database
from finhub_shared.errors import FinhubError
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 200
# Runs a duplicate may fail before it is left to an operator (its last_error says why).
DUPLICATE_ATTEMPTS = 20


async def check_trials(database: Database, now: datetime | None = None) -> int:
    """Expire or warn every trial that needs it; how many were looked at."""
    now = now or utcnow()
    async with database.sessions() as session:
        company_ids = await repository.trials_needing_attention(
            session, now, service.TRIAL_NOTICE_BEFORE, BATCH
        )
    for company_id in company_ids:
        async with database.transaction() as session:
            subscription = await service.lock(session, company_id)
            await service.check_trial(session, subscription, now=now, actor=job_actor("trials"))
    return len(company_ids)


async def check_trials_now(runtime: Runtime) -> None:
    """One run of the worker's trial check."""
    await check_trials(runtime.database)


def trials_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic trial check."""
    return PeriodicJob("trials", every_seconds, check_trials_now)


async def settle_duplicates(database: Database, stripe_client: stripe_sdk.StripeClient) -> int:
    """Cancel and refund every duplicate subscription waiting for it; how many were tried."""
    async with database.sessions() as session:
        waiting = await repository.duplicates_to_settle(
            session, (duplicates.TO_CANCEL, duplicates.TO_REFUND), DUPLICATE_ATTEMPTS, BATCH
        )
    for duplicate_id in waiting:
        try:
            await duplicates.settle(database, stripe_client, duplicate_id)
        except Exception as error:
            # One duplicate that fails (Stripe down or refusing) leaves the others to be settled.
            log.exception("duplicate_subscription_not_settled", duplicate_id=str(duplicate_id))
            reason = error.message if isinstance(error, FinhubError) else type(error).__name__
            await duplicates.count_failure(database, duplicate_id, reason)
    return len(waiting)


async def settle_duplicates_now(runtime: Runtime) -> None:
    """One run of the worker's duplicate subscription job."""
    await settle_duplicates(runtime.database, runtime.stripe)


def duplicates_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic cancelling and refunding of duplicate subscriptions."""
    return PeriodicJob(duplicates.JOB, every_seconds, settle_duplicates_now)
