"""Queries of the connectors table."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.connectors.models import Connector
from banking.connectors.schemas import ConnectorFilters
from banking.pluggy import payloads as pluggy


async def get(session: AsyncSession, connector_id: int) -> Connector | None:
    """The connector with this Pluggy id."""
    return await session.get(Connector, connector_id)


async def by_ids(session: AsyncSession, connector_ids: Collection[int]) -> dict[int, Connector]:
    """The connectors with these ids, by id."""
    if not connector_ids:
        return {}
    rows = await session.scalars(select(Connector).where(Connector.id.in_(connector_ids)))
    return {connector.id: connector for connector in rows}


async def listed(session: AsyncSession, filters: ConnectorFilters) -> list[Connector]:
    """The connectors matching the filters, by name."""
    statement = select(Connector).order_by(Connector.name, Connector.id)
    if filters.q is not None:
        statement = statement.where(Connector.name.icontains(filters.q, autoescape=True))
    if filters.type is not None:
        statement = statement.where(Connector.type == filters.type)
    if filters.open_finance is not None:
        statement = statement.where(Connector.is_open_finance == filters.open_finance)
    return list(await session.scalars(statement))


async def every(session: AsyncSession) -> list[Connector]:
    """Every connector kept, by id."""
    return list(await session.scalars(select(Connector).order_by(Connector.id)))


async def save(
    session: AsyncSession, connector: pluggy.Connector, reported_at: datetime | None
) -> Connector:
    """Insert or refresh the connector; its health only when this report is the newest."""
    health = connector.health
    values = {
        "name": connector.name,
        "image_url": connector.image_url,
        "primary_color": connector.primary_color,
        "type": connector.type,
        "is_open_finance": bool(connector.is_open_finance),
    }
    health_values = {
        "health_status": health.status if health else None,
        "health_stage": health.stage if health else None,
        "health_reported_at": reported_at,
    }
    new_row = insert(Connector).values(id=connector.id, **values, **health_values)
    # A health report older than the stored one (events arrive out of order) changes nothing.
    newer_report = Connector.health_reported_at.is_(None) | (
        Connector.health_reported_at <= new_row.excluded.health_reported_at
    )
    columns = Connector.__table__.c
    statement = new_row.on_conflict_do_update(
        index_elements=[Connector.id],
        set_={
            **values,
            **{
                name: case((newer_report, new_row.excluded[name]), else_=columns[name])
                for name in health_values
            },
        },
    ).returning(Connector)
    result = await session.execute(statement, execution_options={"populate_existing": True})
    return result.scalar_one()
