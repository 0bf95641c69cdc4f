"""Queries of the audit log's own: what a deletion is about to take."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import BankAccount
from banking.transactions.models import Transaction


async def data_of_item(session: AsyncSession, item_id: uuid.UUID) -> dict[str, object]:
    """The item's account ids and how many transactions they hold, as a deletion records them."""
    account_ids = list(
        await session.scalars(
            select(BankAccount.id).where(BankAccount.item_id == item_id).order_by(BankAccount.id)
        )
    )
    transactions = await session.scalar(
        select(func.count()).select_from(Transaction).where(Transaction.account_id.in_(account_ids))
    )
    return {
        "item_id": str(item_id),
        "account_ids": [str(account_id) for account_id in account_ids],
        "transactions": transactions or 0,
    }
