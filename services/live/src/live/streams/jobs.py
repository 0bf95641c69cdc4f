"""Forgetting the streams of replicas that died: they stopped beating, and no opening of their
user came to drop them."""

from __future__ import annotations

import structlog

from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob
from live.runtime import Runtime
from live.streams import repository
from live.streams.hub import STALE_AFTER

log = structlog.get_logger(__name__)

EVERY_SECONDS = 600


async def forget_stale_streams(runtime: Runtime) -> None:
    """Delete the streams that have not beaten for STALE_AFTER."""
    async with runtime.database.transaction() as session:
        streams = await repository.delete_unseen_since(session, utcnow() - STALE_AFTER)
    log.info("stale_streams_forgotten", streams=streams)


def stale_streams_job() -> PeriodicJob[Runtime]:
    """The worker's clearing of streams left by replicas that died."""
    return PeriodicJob("forget-stale-streams", EVERY_SECONDS, forget_stale_streams)
