"""Connectors (the banks a company can connect) and their health, as Pluggy reports them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from banking.connectors import repository
from banking.runtime import Runtime
from banking.sync import repository as sync_jobs


async def refresh_health(
    session: AsyncSession, runtime: Runtime, connector_id: int, now: datetime
) -> None:
    """Keep the connector's current health; when its bank is back, postponed syncs retry now."""
    connector = await runtime.pluggy.get_connector(connector_id)
    if connector is None:
        return
    stored = await repository.save(session, connector, reported_at=now)
    if not stored.is_down:
        await sync_jobs.retry_postponed_of_connector(session, connector_id, now)


async def refresh_catalogue(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
    """Keep every connector Pluggy offers, with its health now; returns how many."""
    offered = await runtime.pluggy.list_connectors(
        include_sandbox=runtime.settings.pluggy_sandbox_connectors
    )
    for connector in offered:
        await repository.save(session, connector, reported_at=now)
    return len(offered)
