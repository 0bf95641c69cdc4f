"""Connectors (the banks a company can connect): Pluggy's catalogue with each one's health.

Fetching from Pluggy and keeping what it said are separate steps, so that no database
transaction is open while Pluggy answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from banking.connectors import repository
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime


async def fetch_catalogue(runtime: Runtime) -> list[pluggy.Connector]:
    """Every connector Pluggy offers, with its health now."""
    return await runtime.pluggy.list_connectors(
        include_sandbox=runtime.settings.pluggy_sandbox_connectors
    )


async def keep_catalogue(
    session: AsyncSession, offered: Sequence[pluggy.Connector], now: datetime
) -> None:
    """Keep every connector Pluggy offers, with its health as fetched."""
    for connector in offered:
        await repository.save(session, connector, reported_at=now)
