"""Queries of consents."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.consents.models import Consent


async def of_user(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    """The user's consents, oldest first."""
    statement = (
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.accepted_at, Consent.id)
    )
    return (await session.execute(statement)).scalars().all()
