"""The accounts' worker job: log-in throttles gone quiet are forgotten, so that guesses at
emails nobody uses do not pile up rows forever."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from billing.accounts import repository
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def forget_quiet_throttles(database: Database, window_seconds: int, now: datetime) -> int:
    """Drop the throttles quiet for longer than the log-in window; how many."""
    async with database.transaction() as session:
        return await repository.forget_quiet_throttles(
            session, now - timedelta(seconds=window_seconds), now
        )


async def forget_quiet_throttles_now(runtime: Runtime) -> None:
    """One run of the worker's throttle clean-up."""
    forgotten = await forget_quiet_throttles(
        runtime.database, runtime.settings.login_window_seconds, utcnow()
    )
    if forgotten:
        log.info("quiet_login_throttles_forgotten", count=forgotten)


def quiet_throttles_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic clean-up of quiet log-in throttles."""
    return PeriodicJob("quiet-login-throttles", every_seconds, forget_quiet_throttles_now)
