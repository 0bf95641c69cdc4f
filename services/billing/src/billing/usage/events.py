"""What banking's usage.changed events do: the usage kept, to show against the plan's limits."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.subscriptions import repository as subscriptions
from billing.usage import repository
from billing.usage.schemas import UsageChanged

log = structlog.get_logger(__name__)


async def record(session: AsyncSession, usage: UsageChanged, measured_at: datetime) -> None:
    """Keep the report unless a newer one is already kept."""
    if await subscriptions.get_for_company(session, usage.company_id) is None:
        log.warning("usage_for_unknown_company", company_id=str(usage.company_id))
        return
    await repository.keep_latest(session, usage, measured_at)
