"""The erasure job: takes again the Stripe steps of deletions that a failure left waiting."""

from __future__ import annotations

from datetime import datetime

import stripe as stripe_sdk
import structlog

from billing.erasure import progress, repository
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.errors import FinhubError
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 100


async def continue_deletions(
    database: Database, stripe_client: stripe_sdk.StripeClient, now: datetime | None = None
) -> int:
    """Take the due steps of every deletion billing has not finished; how many were tried. One
    that fails (Stripe down) is counted on it and leaves the others to go on."""
    now = now or utcnow()
    async with database.sessions() as session:
        waiting = await repository.waiting_for_billing(session, BATCH)
    for deletion_id in waiting:
        try:
            await progress.advance(database, stripe_client, deletion_id, now)
        except Exception as error:
            log.exception("company_deletion_step_failed", deletion_id=str(deletion_id))
            reason = error.message if isinstance(error, FinhubError) else type(error).__name__
            async with database.transaction() as session:
                await repository.count_failure(session, deletion_id, reason)
    return len(waiting)


async def continue_deletions_now(runtime: Runtime) -> None:
    """One run of the worker's erasure job."""
    await continue_deletions(runtime.database, runtime.stripe)


def erasure_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic run of waiting deletions."""
    return PeriodicJob("company-erasure", every_seconds, continue_deletions_now)
