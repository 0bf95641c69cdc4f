"""Queries of companies, users, refresh tokens and log-in failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts.models import Company, LoginFailure, RefreshToken, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this (lower-cased) email."""
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: UUID) -> User | None:
    """A user by id."""
    return await session.get(User, user_id)


async def company_by_id(session: AsyncSession, company_id: UUID) -> Company | None:
    """A company by id."""
    return await session.get(Company, company_id)


async def users_of(session: AsyncSession, company_id: UUID) -> Sequence[User]:
    """The company's users, oldest first."""
    statement = select(User).where(User.company_id == company_id).order_by(User.created_at)
    return (await session.execute(statement)).scalars().all()


async def refresh_token_for_update(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The refresh token with this hash, locked so two refreshes with it take turns."""
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: UUID, now: datetime) -> None:
    """Revoke every token descended from one log-in."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def recent_failures(
    session: AsyncSession, email: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many log-ins for the email failed since `since`, and when the oldest of them was."""
    statement = select(func.count(), func.min(LoginFailure.failed_at)).where(
        LoginFailure.email == email, LoginFailure.failed_at >= since
    )
    count, oldest = (await session.execute(statement)).one()
    return int(count), oldest


async def clear_failures(session: AsyncSession, email: str) -> None:
    """Forget the failed log-ins of an email (after a successful one)."""
    await session.execute(delete(LoginFailure).where(LoginFailure.email == email))


async def record_failure(
    session: AsyncSession, email: str, failed_at: datetime, *, forget_before: datetime
) -> None:
    """Count a failed log-in, and drop the email's failures too old to count any more."""
    await session.execute(
        delete(LoginFailure).where(
            LoginFailure.email == email, LoginFailure.failed_at < forget_before
        )
    )
    session.add(LoginFailure(email=email, failed_at=failed_at))
    await session.flush()
