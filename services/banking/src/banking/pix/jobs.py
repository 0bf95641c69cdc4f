"""The PIX worker job: payments nobody authorised timed out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from banking.pix import service
from banking.runtime import Runtime
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)


async def time_out_unauthorised_payments(
    runtime: Runtime, clock: Callable[[], datetime] = utcnow
) -> None:
    """PIX payments nobody authorised within 30 minutes of `clock()` time out."""
    async with runtime.database.transaction() as session:
        timed_out = await service.time_out_unauthorised(session, clock())
    if timed_out:
        log.info("pix_payments_timed_out", count=timed_out)


def time_out_unauthorised_job() -> PeriodicJob[Runtime]:
    """The worker's periodic time-out of unauthorised payments."""
    return PeriodicJob("time-out-unauthorised-payments", 60, time_out_unauthorised_payments)
