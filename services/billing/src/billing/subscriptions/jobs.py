"""The trial scheduler: expires trials without a paid plan, and warns three days before."""

from __future__ import annotations

from datetime import datetime

import structlog

from billing.audit.service import job_actor
from billing.runtime import Runtime
from billing.subscriptions import repository, service
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 200


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
