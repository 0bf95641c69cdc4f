"""What the live database holds, as the tests read it."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from finhub_shared.db import Database
from live.events.models import LiveEvent


async def stored(database: Database, company_id: uuid.UUID) -> list[LiveEvent]:
    async with database.sessions() as session:
        statement = select(LiveEvent).where(LiveEvent.company_id == company_id)
        return list((await session.scalars(statement.order_by(LiveEvent.seq))).all())


async def stored_soon(database: Database, company_id: uuid.UUID, count: int) -> list[LiveEvent]:
    async with asyncio.timeout(10):
        while len(events := await stored(database, company_id)) < count:
            await asyncio.sleep(0.05)
    return events
