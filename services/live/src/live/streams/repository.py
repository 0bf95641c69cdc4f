"""Every query of the open streams."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.queries import rows_affected
from live.streams.models import OpenStream


async def lock_user(session: AsyncSession, user_id: UUID) -> None:
    """Take the user's turn until the transaction ends, so that two openings of one user on any
    replicas cannot both take the last place."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:user_id, 0))"),
        {"user_id": str(user_id)},
    )


async def live_streams(session: AsyncSession, user_id: UUID, seen_since: datetime) -> int:
    """How many streams the user holds that beat since `seen_since`; staler ones are dropped."""
    await session.execute(
        delete(OpenStream).where(OpenStream.user_id == user_id, OpenStream.seen_at < seen_since)
    )
    statement = select(func.count()).where(OpenStream.user_id == user_id)
    return (await session.scalar(statement)) or 0


async def add(session: AsyncSession, user_id: UUID, company_id: UUID, now: datetime) -> UUID:
    """Count a newly opened stream of the user; its id."""
    stream = OpenStream(user_id=user_id, company_id=company_id, opened_at=now, seen_at=now)
    session.add(stream)
    await session.flush()
    return stream.id


async def beat(session: AsyncSession, stream_ids: Collection[UUID], now: datetime) -> set[UUID]:
    """Mark the streams seen now; those still counted (a stale one was dropped)."""
    statement = (
        update(OpenStream)
        .where(OpenStream.id.in_(stream_ids))
        .values(seen_at=now)
        .returning(OpenStream.id)
    )
    return set((await session.scalars(statement)).all())


async def delete_unseen_since(session: AsyncSession, cutoff: datetime) -> int:
    """Forget streams that have not beaten since `cutoff` (their replica died); how many."""
    return rows_affected(
        await session.execute(delete(OpenStream).where(OpenStream.seen_at < cutoff))
    )


async def close(session: AsyncSession, stream_ids: Collection[UUID]) -> None:
    """Stop counting streams that ended."""
    await session.execute(delete(OpenStream).where(OpenStream.id.in_(stream_ids)))
