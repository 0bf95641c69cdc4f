"""The exports' worker job: an export banking never answered fails after the timeout, and
archives kept past their expiry are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from billing.exports import repository, service
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 200


async def fail_overdue_exports(database: Database, timeout_seconds: int, now: datetime) -> int:
    """Fail every export banking has not answered within the timeout; how many."""
    before = now - timedelta(seconds=timeout_seconds)
    async with database.sessions() as session:
        overdue = await repository.pending_since(session, before, BATCH)
    failed = 0
    for export_id in overdue:
        async with database.transaction() as session:
            failed += await service.fail_if_overdue(session, export_id, before=before, now=now)
    return failed


async def delete_expired_archives(database: Database, now: datetime) -> int:
    """Delete the archives past their expiry; how many."""
    async with database.transaction() as session:
        return await repository.delete_expired_archives(session, now)


async def check_exports_now(runtime: Runtime) -> None:
    """One run of the worker's export check."""
    now = utcnow()
    failed = await fail_overdue_exports(
        runtime.database, runtime.settings.export_timeout_seconds, now
    )
    deleted = await delete_expired_archives(runtime.database, now)
    if failed or deleted:
        log.info("data_exports_checked", failed=failed, archives_deleted=deleted)


def exports_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic check of data exports."""
    return PeriodicJob("data-exports", every_seconds, check_exports_now)
