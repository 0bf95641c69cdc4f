"""Queries of the accounts table."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import ACTIVE, BLOCKED, BankAccount
from banking.items.models import CLOSED_STATUSES, Item
from banking.money import to_cents
from banking.pluggy import payloads as pluggy
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def get_for(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> BankAccount:
    """The caller's account, or 404."""
    return await queries.get_owned(session, BankAccount, account_id, principal, "account")


async def list_for(session: AsyncSession, principal: Principal) -> list[BankAccount]:
    """The caller's accounts of open items, by name."""
    statement = scoped(
        select(BankAccount)
        .join(Item, Item.id == BankAccount.item_id)
        .where(Item.status.not_in(CLOSED_STATUSES))
        .order_by(BankAccount.name, BankAccount.id),
        BankAccount,
        principal,
    )
    return list(await session.scalars(statement))


async def get(session: AsyncSession, account_id: uuid.UUID) -> BankAccount | None:
    """The account with this id (worker paths, where the job names it)."""
    return await session.get(BankAccount, account_id)


async def by_pluggy_id(session: AsyncSession, pluggy_account_id: str) -> BankAccount | None:
    """The account Pluggy knows by this id."""
    statement = select(BankAccount).where(BankAccount.pluggy_account_id == pluggy_account_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def of_open_item_by_pluggy_id(
    session: AsyncSession, pluggy_account_id: str
) -> BankAccount | None:
    """The account Pluggy knows by this id, if its item is open (one query for both)."""
    statement = (
        select(BankAccount)
        .join(Item, Item.id == BankAccount.item_id)
        .where(
            BankAccount.pluggy_account_id == pluggy_account_id,
            Item.status.not_in(CLOSED_STATUSES),
        )
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def of_items(
    session: AsyncSession, item_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[BankAccount]]:
    """The accounts of these items, by item id."""
    found: dict[uuid.UUID, list[BankAccount]] = {item_id: [] for item_id in item_ids}
    if item_ids:
        statement = (
            select(BankAccount)
            .where(BankAccount.item_id.in_(item_ids))
            .order_by(BankAccount.name, BankAccount.id)
        )
        for account in await session.scalars(statement):
            found[account.item_id].append(account)
    return found


async def count_active(session: AsyncSession, company_id: uuid.UUID) -> int:
    """How many accounts count against the company's plan: the active ones of open items."""
    return await _count_of_open_items(session, company_id, ACTIVE)


async def count_blocked(session: AsyncSession, company_id: uuid.UUID) -> int:
    """How many accounts of open items wait, blocked, for room in the company's plan."""
    return await _count_of_open_items(session, company_id, BLOCKED)


async def _count_of_open_items(session: AsyncSession, company_id: uuid.UUID, status: str) -> int:
    statement = (
        select(func.count())
        .select_from(BankAccount)
        .join(Item, Item.id == BankAccount.item_id)
        .where(
            BankAccount.company_id == company_id,
            BankAccount.status == status,
            Item.status.not_in(CLOSED_STATUSES),
        )
    )
    return int((await session.execute(statement)).scalar_one())


async def blocked_oldest_first(
    session: AsyncSession, company_id: uuid.UUID, limit: int | None
) -> list[BankAccount]:
    """Up to `limit` (None: all) blocked accounts of the company's open items, oldest first,
    held until the transaction ends."""
    statement = (
        select(BankAccount)
        .join(Item, Item.id == BankAccount.item_id)
        .where(
            BankAccount.company_id == company_id,
            BankAccount.status == BLOCKED,
            Item.status.not_in(CLOSED_STATUSES),
        )
        .order_by(BankAccount.created_at, BankAccount.id)
        .limit(limit)
        .with_for_update(of=BankAccount)
    )
    return list(await session.scalars(statement))


async def save_from_pluggy(
    session: AsyncSession,
    item: Item,
    account: pluggy.Account,
    *,
    status: str = ACTIVE,
    blocked_reason: str | None = None,
) -> BankAccount:
    """Insert the account with `status`, or refresh a stored one (its status kept); an older
    state than the stored one changes nothing."""
    values = _pluggy_values(account)
    new_row = insert(BankAccount).values(
        id=uuid.uuid4(),
        company_id=item.company_id,
        item_id=item.id,
        pluggy_account_id=account.id,
        status=status,
        blocked_reason=blocked_reason,
        **values,
    )
    statement = new_row.on_conflict_do_update(
        index_elements=[BankAccount.pluggy_account_id],
        set_=values,
        where=BankAccount.pluggy_updated_at.is_(None)
        | (BankAccount.pluggy_updated_at <= new_row.excluded.pluggy_updated_at),
    )
    result = await session.execute(
        statement.returning(BankAccount), execution_options={"populate_existing": True}
    )
    saved = result.scalar_one_or_none() or await by_pluggy_id(session, account.id)
    assert saved is not None
    return saved


async def refresh_from_pluggy(session: AsyncSession, account: pluggy.Account) -> None:
    """Refresh a stored account (its balance after a sync); creates none, and an older state
    than the stored one changes nothing."""
    not_newer: ColumnElement[bool] = BankAccount.pluggy_updated_at.is_(None)
    if account.updated_at is not None:
        not_newer |= BankAccount.pluggy_updated_at <= account.updated_at
    await session.execute(
        update(BankAccount)
        .where(BankAccount.pluggy_account_id == account.id, not_newer)
        .values(**_pluggy_values(account))
    )


def _pluggy_values(account: pluggy.Account) -> dict[str, Any]:
    """The columns Pluggy's account sets."""
    return {
        "type": account.type,
        "subtype": account.subtype,
        "name": account.name,
        "marketing_name": account.marketing_name,
        "number": account.number,
        "owner": account.owner,
        "currency_code": account.currency_code,
        "balance_cents": to_cents(account.balance),
        "pluggy_updated_at": account.updated_at,
    }


async def mark_synced(
    session: AsyncSession, account_id: uuid.UUID, synced_until: datetime | None, at: datetime
) -> None:
    """Record a finished sync and where the next one starts."""
    values: dict[str, Any] = {"last_synced_at": at}
    if synced_until is not None:
        values["synced_until"] = synced_until
    await session.execute(update(BankAccount).where(BankAccount.id == account_id).values(values))


async def delete_of_item(session: AsyncSession, item_id: uuid.UUID) -> None:
    """Delete the item's accounts and, with them, their transactions."""
    await session.execute(delete(BankAccount).where(BankAccount.item_id == item_id))
