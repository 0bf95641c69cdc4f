"""What Pluggy's connector/status_updated does: the institution's health kept as Pluggy reports
it now (fetched by the handler, with no database transaction open)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from banking.connectors import repository
from banking.pluggy import payloads as pluggy
from banking.sync import repository as sync_jobs


async def keep_health(session: AsyncSession, connector: pluggy.Connector, now: datetime) -> None:
    """Keep the connector's current health; when its bank is back, postponed syncs retry now."""
    stored = await repository.save(session, connector, reported_at=now)
    if not stored.is_down:
        await sync_jobs.retry_postponed_of_connector(session, connector.id, now)
