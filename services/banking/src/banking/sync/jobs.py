"""The sync's worker jobs: postponed syncs requeued when due, stalled syncs recovered."""

from __future__ import annotations

import structlog

from banking.runtime import Runtime
from banking.sync import service
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def requeue_postponed_syncs(runtime: Runtime) -> None:
    """Syncs postponed because the bank or Pluggy was down go back on the queue when due."""
    async with runtime.database.transaction() as session:
        requeued = await service.requeue_postponed(session, utcnow())
    if requeued:
        log.info("postponed_syncs_requeued", count=requeued)


def requeue_postponed_job() -> PeriodicJob[Runtime]:
    """The worker's periodic requeueing of postponed syncs."""
    return PeriodicJob("requeue-postponed-syncs", 30, requeue_postponed_syncs)


async def recover_stalled_syncs(runtime: Runtime) -> None:
    """Syncs a crash left running, or whose message was lost, are queued again (or given up)."""
    async with runtime.database.transaction() as session:
        found = await service.recover_stalled(session, runtime.settings, utcnow())
    if found:
        log.info("stalled_syncs_recovered", count=found)


def recover_stalled_job() -> PeriodicJob[Runtime]:
    """The worker's periodic recovery of stalled syncs."""
    return PeriodicJob("recover-stalled-syncs", 10, recover_stalled_syncs)
