"""Every query of stored events and of their per-company numbering."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.queries import rows_affected
from live.events.models import CompanySequence, LiveEvent
from live.events.schemas import SESSION_REVOKED

# The channel every committed event is announced on, as `<company_id>:<seq>`.
CHANNEL = "live_events"


async def next_seq(session: AsyncSession, company_id: UUID) -> int:
    """The company's next `seq`; its counter row stays locked until the transaction ends."""
    statement = (
        insert(CompanySequence)
        .values(company_id=company_id, last_seq=1)
        .on_conflict_do_update(
            index_elements=[CompanySequence.company_id],
            set_={"last_seq": CompanySequence.last_seq + 1},
        )
        .returning(CompanySequence.last_seq)
    )
    return (await session.execute(statement)).scalar_one()


async def add(session: AsyncSession, event: LiveEvent) -> None:
    """Store the event, and announce it to every API replica when the transaction commits."""
    session.add(event)
    await session.flush()
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": f"{event.company_id}:{event.seq}"},
    )


async def last_seq(session: AsyncSession, company_id: UUID) -> int:
    """The `seq` of the company's newest event (0 before its first)."""
    statement = select(CompanySequence.last_seq).where(CompanySequence.company_id == company_id)
    return (await session.scalar(statement)) or 0


async def after(
    session: AsyncSession, company_id: UUID, after_seq: int, limit: int
) -> list[LiveEvent]:
    """The company's events after `after_seq`, oldest first, at most `limit` of them."""
    statement = (
        select(LiveEvent)
        .where(LiveEvent.company_id == company_id, LiveEvent.seq > after_seq)
        .order_by(LiveEvent.seq)
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def session_revoked(
    session: AsyncSession, company_id: UUID, user_id: UUID, session_id: UUID
) -> bool:
    """Whether billing said this log-in of the user ended (within the events kept)."""
    statement = select(func.count()).where(
        LiveEvent.company_id == company_id,
        LiveEvent.type == SESSION_REVOKED,
        LiveEvent.data["user_id"].astext == str(user_id),
        LiveEvent.data["session_id"].astext == str(session_id),
    )
    return bool(await session.scalar(statement))


async def delete_recorded_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete events stored before `cutoff`; how many were."""
    result = await session.execute(delete(LiveEvent).where(LiveEvent.recorded_at < cutoff))
    return rows_affected(result)
