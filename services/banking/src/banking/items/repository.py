"""Queries of the items table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from banking.items.models import (
    DELETED,
    IN_PROGRESS_STATUSES,
    OUTDATED,
    WAITING_USER_INPUT,
    Item,
)
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def get_for(session: AsyncSession, principal: Principal, item_id: uuid.UUID) -> Item:
    """The caller's item, or 404."""
    return await queries.get_owned(session, Item, item_id, principal, "item")


async def list_for(session: AsyncSession, principal: Principal) -> list[Item]:
    """The caller's items that are not deleted, oldest first."""
    statement = scoped(
        select(Item).where(Item.status != DELETED).order_by(Item.created_at, Item.id),
        Item,
        principal,
    )
    return list(await session.scalars(statement))


async def get(session: AsyncSession, item_id: uuid.UUID) -> Item | None:
    """The item with this id (worker paths)."""
    return await session.get(Item, item_id)


async def by_pluggy_id(session: AsyncSession, pluggy_item_id: str) -> Item | None:
    """The item Pluggy knows by this id."""
    statement = select(Item).where(Item.pluggy_item_id == pluggy_item_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def with_expired_mfa_prompts(session: AsyncSession, now: datetime) -> list[Item]:
    """The items still holding an MFA prompt whose window has closed, locked (another worker
    skips them)."""
    statement = (
        select(Item)
        .where(
            Item.status == WAITING_USER_INPUT,
            Item.mfa_expires_at <= now,
            Item.mfa_prompt_encrypted.is_not(None),
        )
        .order_by(Item.id)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))


async def claim_unheard_in_progress(
    session: AsyncSession, quiet_since: datetime, limit: int, now: datetime
) -> list[str]:
    """Up to `limit` in-progress items neither changed nor checked since `quiet_since`, the
    longest unheard first, marked checked at `now` (another worker skips them); their Pluggy ids."""
    last_heard = func.greatest(Item.updated_at, Item.last_checked_at)
    due = (
        await session.execute(
            select(Item.id, Item.pluggy_item_id)
            .where(Item.status.in_(IN_PROGRESS_STATUSES), last_heard <= quiet_since)
            .order_by(last_heard, Item.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if due:
        # A check is not a change: updated_at keeps saying when the state last changed.
        await session.execute(
            update(Item)
            .where(Item.id.in_([row.id for row in due]))
            .values(last_checked_at=now, updated_at=Item.updated_at)
            .execution_options(synchronize_session=False)
        )
    return [row.pluggy_item_id for row in due]


async def claim_outdated_due(session: AsyncSession, now: datetime, limit: int) -> list[Item]:
    """Up to `limit` OUTDATED items whose retry is due at `now`, the longest due first, locked
    (another worker skips them): the caller counts the retry and moves their next one on."""
    statement = (
        select(Item)
        .where(Item.status == OUTDATED, Item.outdated_retry_at <= now)
        .order_by(Item.outdated_retry_at, Item.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))
