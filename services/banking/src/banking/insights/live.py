"""What the live stream is told of insights: a new one someone should act on (docs/DESIGN.md,
"What the live stream shows"), queued with the computation that found it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.insights.models import Insight


async def insight_created(session: AsyncSession, insight: Insight) -> None:
    """`banking.insight.created`: the insight's title and message, and where to read it whole."""
    data = publishing.insight_created_data(
        insight.id,
        insight.kind,
        insight.severity,
        insight.title,
        insight.message,
        insight.account_id,
    )
    await publishing.publish(session, publishing.INSIGHT_CREATED, data, insight.company_id)
