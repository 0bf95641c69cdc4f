"""Transaction-scoped advisory locks, for rows that may not exist yet."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def lock(session: AsyncSession, namespace: str, key: str) -> None:
    """Wait until no other transaction holds (namespace, key); held until this one ends."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{namespace}:{key}"))))
