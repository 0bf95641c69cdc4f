"""Queries of companies, users, refresh tokens and log-in throttles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts.models import Company, LoginThrottle, RefreshToken, User
from finhub_shared import queries


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
    statement = queries.locked(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    return (await session.execute(statement)).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: UUID, now: datetime) -> None:
    """Revoke every token descended from one log-in."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def throttles_for_update(
    session: AsyncSession, email: str, client_addresses: Sequence[str], now: datetime
) -> list[LoginThrottle]:
    """The email's throttles for these addresses (created if new), locked in one order, so that
    concurrent log-ins for the email take turns and none deadlock."""
    rows = [
        {
            "email": email,
            "client_address": address,
            "attempts": 0,
            "last_attempt_at": now,
            "next_attempt_at": now,
        }
        for address in client_addresses
    ]
    await session.execute(insert(LoginThrottle).values(rows).on_conflict_do_nothing())
    statement = queries.locked(
        select(LoginThrottle)
        .where(LoginThrottle.email == email, LoginThrottle.client_address.in_(client_addresses))
        .order_by(LoginThrottle.client_address)
    )
    return list((await session.execute(statement)).scalars().all())


async def forget_attempts(
    session: AsyncSession, email: str, client_addresses: Sequence[str]
) -> None:
    """Forgive an email's counted attempts from these addresses (after a successful log-in)."""
    await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.email == email, LoginThrottle.client_address.in_(client_addresses)
        )
    )


async def forget_quiet_throttles(
    session: AsyncSession, quiet_since: datetime, now: datetime
) -> int:
    """Drop the throttles with no attempt since `quiet_since` and no delay still running (they
    would start again from zero anyway); how many."""
    result = await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_attempt_at <= quiet_since, LoginThrottle.next_attempt_at <= now
        )
    )
    return queries.rows_affected(result)


async def session_is_live(session: AsyncSession, user_id: UUID, family_id: UUID) -> bool:
    """Whether the user's log-in (refresh token family) is still live: not logged out, revoked,
    or ended with the user."""
    statement = select(
        exists().where(
            RefreshToken.family_id == family_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
        )
    )
    return bool((await session.execute(statement)).scalar_one())


async def revoke_user_families(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    """Revoke every refresh token of the user: every log-in ends."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The refresh token with this hash."""
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(statement)).scalar_one_or_none()


async def lock_user(session: AsyncSession, user_id: UUID) -> None:
    """Lock the user's row until the transaction ends, so that two requests of one user that
    count something of theirs (open streams) take turns."""
    await session.execute(queries.locked(select(User.id).where(User.id == user_id)))
