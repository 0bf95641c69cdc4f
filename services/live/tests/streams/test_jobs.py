"""The worker forgets the streams of replicas that died: they no longer beat."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from finhub_shared.db import Database
from finhub_shared.events import utcnow
from live.runtime import Runtime
from live.streams.hub import STALE_AFTER
from live.streams.jobs import forget_stale_streams
from live.streams.models import OpenStream


@pytest.mark.asyncio
async def test_streams_silent_for_longer_than_the_staleness_are_forgotten(
    database: Database, worker: Runtime
) -> None:
    now = utcnow()
    beating, dead = uuid.uuid4(), uuid.uuid4()
    async with database.transaction() as session:
        for stream_id, seen_at in ((beating, now), (dead, now - STALE_AFTER - timedelta(1))):
            session.add(
                OpenStream(
                    id=stream_id,
                    user_id=uuid.uuid4(),
                    company_id=uuid.uuid4(),
                    opened_at=seen_at,
                    seen_at=seen_at,
                )
            )

    await forget_stale_streams(worker)

    async with database.sessions() as session:
        assert list(await session.scalars(select(OpenStream.id))) == [beating]
