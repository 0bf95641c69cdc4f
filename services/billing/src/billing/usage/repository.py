"""Queries of usage."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.usage.models import Usage


async def get(session: AsyncSession, company_id: UUID) -> Usage | None:
    """The company's usage as banking last reported it."""
    return await session.get(Usage, company_id)


async def get_for_update(session: AsyncSession, company_id: UUID) -> Usage | None:
    """The company's usage row, locked."""
    return await session.get(Usage, company_id, with_for_update=True)
