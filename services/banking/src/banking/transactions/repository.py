"""Queries of the transactions table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    bindparam,
    case,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.categories import repository as categories
from banking.money import BRAZIL_TIME, month_of_column
from banking.transactions.models import CATEGORY_FROM_USER, Transaction
from banking.transactions.schemas import TransactionFilters
from finhub_shared import queries
from finhub_shared.auth import Principal, ensure_owned, scoped
from finhub_shared.db import table_of
from finhub_shared.pagination import KeysetCursor, keyset_page

# Refreshed from Pluggy on every newer version of a transaction.
_PROVIDER_COLUMNS = (
    "date",
    "description",
    "merchant_name",
    "amount_cents",
    "type",
    "currency_code",
    "status",
    "pluggy_category_id",
    "pluggy_updated_at",
)
# Refreshed too, unless the user chose the category themselves.
_CATEGORY_COLUMNS = (
    "category_id",
    "category_name",
    "category_source",
    "rule_id",
    "category_confidence",
)
# What a sync writes for each transaction (the id and the bookkeeping columns have defaults).
_WRITTEN_COLUMNS = (
    "company_id",
    "account_id",
    "pluggy_transaction_id",
    "pluggy_created_at",
    *_PROVIDER_COLUMNS,
    *_CATEGORY_COLUMNS,
)


@dataclass(frozen=True)
class Written:
    """What one upsert did: the new transactions by calendar month, and how many it updated."""

    new_by_month: dict[date, list[uuid.UUID]]
    updated: int

    def plus(self, other: Written) -> Written:
        """Both upserts' outcomes together."""
        months = {month: list(ids) for month, ids in self.new_by_month.items()}
        for month, ids in other.new_by_month.items():
            months.setdefault(month, []).extend(ids)
        return Written(months, self.updated + other.updated)


async def upsert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> Written:
    """Insert new transactions and update those Pluggy changed since; unchanged ones are left.

    Keyed by Pluggy's transaction id, so running a sync again never duplicates anything.
    """
    if not rows:
        return Written({}, 0)
    # PostgreSQL refuses a statement that would change one row twice: keep the last of each id.
    unique = list({row["pluggy_transaction_id"]: row for row in rows}.values())
    # One statement per page, its rows sent as one array per column (unnest), and its outcome
    # summed up by PostgreSQL per month: no per-row work on either side.
    arrays = {name: [row[name] for row in unique] for name in _WRITTEN_COLUMNS}
    months = (await session.execute(_UPSERT, arrays)).all()
    return Written(
        new_by_month={month: new_ids for month, new_ids, _ in months if new_ids},
        updated=sum(updated for _, _, updated in months),
    )


def _upsert_statement() -> Any:
    """INSERT the page's rows ... ON CONFLICT (new rows inserted, newer versions updated), then
    the ids of the new rows of each month, in date order, and the number of updated ones."""
    table = table_of(Transaction)
    columns = table.c
    arrays = [bindparam(name, type_=ARRAY(columns[name].type)) for name in _WRITTEN_COLUMNS]
    page = func.unnest(*arrays).table_valued(*_WRITTEN_COLUMNS).render_derived()
    new_rows = insert(table).from_select(
        _WRITTEN_COLUMNS, select(*(page.c[name] for name in _WRITTEN_COLUMNS))
    )
    chosen_by_user = Transaction.category_source == CATEGORY_FROM_USER
    changes: dict[str, ColumnElement[Any]] = {
        name: new_rows.excluded[name] for name in _PROVIDER_COLUMNS
    }
    changes |= {
        name: case((chosen_by_user, columns[name]), else_=new_rows.excluded[name])
        for name in _CATEGORY_COLUMNS
    }
    written = (
        new_rows.on_conflict_do_update(
            index_elements=[Transaction.pluggy_transaction_id],
            set_=changes,
            # An older or identical version (a re-sync, a late event) changes nothing.
            where=Transaction.pluggy_updated_at < new_rows.excluded.pluggy_updated_at,
        )
        .returning(
            columns.id,
            columns.date,
            # A row PostgreSQL inserted has no deleting transaction id yet; an updated one has.
            literal_column("xmax = 0", Boolean).label("inserted"),
        )
        .cte("written")
    )
    month = month_of_column(written.c.date)
    new_ids = func.array_agg(aggregate_order_by(written.c.id, written.c.date, written.c.id))
    return select(
        month,
        new_ids.filter(written.c.inserted),
        func.count().filter(~written.c.inserted),
    ).group_by(month)


_UPSERT = _upsert_statement()


async def flag_over_limit(session: AsyncSession, transaction_ids: Sequence[uuid.UUID]) -> None:
    """Hide these transactions: they arrived past their month's limit."""
    if transaction_ids:
        await session.execute(
            update(Transaction).where(Transaction.id.in_(transaction_ids)).values(over_limit=True)
        )


async def hidden_by_month(
    session: AsyncSession, company_id: uuid.UUID, months: Sequence[date] | None = None
) -> dict[date, int]:
    """How many of the company's transactions each month hides past its limit (only `months`,
    when given)."""
    month = month_of_column(Transaction.date)
    statement = (
        select(month, func.count())
        .where(Transaction.company_id == company_id, Transaction.over_limit)
        .group_by(month)
    )
    if months is not None:
        statement = statement.where(month.in_(months))
    return {row[0]: int(row[1]) for row in await session.execute(statement)}


async def hidden_between(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> int:
    """How many of the caller's transactions dated in [start, end) are hidden past the limit."""
    statement = scoped(
        select(func.count()).where(
            Transaction.over_limit, Transaction.date >= start, Transaction.date < end
        ),
        Transaction,
        principal,
    )
    return int(await session.scalar(statement) or 0)


async def reveal(session: AsyncSession, company_id: uuid.UUID, month: date, count: int) -> int:
    """Show `count` of the month's hidden transactions again, the oldest first; how many."""
    oldest = (
        select(Transaction.id)
        .where(
            Transaction.company_id == company_id,
            Transaction.over_limit,
            month_of_column(Transaction.date) == month,
        )
        .order_by(Transaction.date, Transaction.id)
        .limit(count)
    )
    result = await session.execute(
        update(Transaction)
        .where(Transaction.id.in_(oldest.scalar_subquery()))
        .values(over_limit=False)
        .execution_options(synchronize_session=False)
    )
    return queries.rows_affected(result)


async def stored_pluggy_ids(
    session: AsyncSession, account_id: uuid.UUID, pluggy_ids: Sequence[str]
) -> list[str]:
    """Which of these Pluggy ids the account has stored."""
    if not pluggy_ids:
        return []
    statement = select(Transaction.pluggy_transaction_id).where(
        Transaction.account_id == account_id,
        Transaction.pluggy_transaction_id.in_(pluggy_ids),
    )
    return list(await session.scalars(statement))


async def delete_by_pluggy_ids(
    session: AsyncSession, account_id: uuid.UUID, pluggy_ids: Sequence[str]
) -> int:
    """Delete the account's transactions Pluggy removed; returns how many were here."""
    if not pluggy_ids:
        return 0
    result = await session.execute(
        delete(Transaction).where(
            Transaction.account_id == account_id,
            Transaction.pluggy_transaction_id.in_(pluggy_ids),
        )
    )
    return queries.rows_affected(result)


async def get_for(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID
) -> Transaction:
    """The caller's transaction, or 404 (one hidden past its month's limit too)."""
    transaction = await session.get(Transaction, transaction_id)
    shown = transaction if transaction is not None and not transaction.over_limit else None
    return ensure_owned(shown, principal, "transaction")


async def page_for(
    session: AsyncSession,
    principal: Principal,
    filters: TransactionFilters,
    after: KeysetCursor | None,
    limit: int,
) -> list[tuple[Transaction, str | None]]:
    """One page of the caller's transactions, newest first (ties by id), after `after`, each
    with its category's name as users read it; those hidden past their month's limit are left
    out."""
    statement = scoped(
        categories.with_category(select(Transaction, categories.shown_name())),
        Transaction,
        principal,
    ).where(~Transaction.over_limit, *_conditions(filters))
    page = keyset_page(statement, Transaction.date, Transaction.id, after, limit)
    return [(transaction, name) for transaction, name in await session.execute(page)]


async def shown_category_name(session: AsyncSession, transaction_id: uuid.UUID) -> str | None:
    """The transaction's category name as users read it (see `page_for`)."""
    statement = categories.with_category(
        select(categories.shown_name()).select_from(Transaction)
    ).where(Transaction.id == transaction_id)
    return await session.scalar(statement)


def _conditions(filters: TransactionFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.account_id is not None:
        conditions.append(Transaction.account_id == filters.account_id)
    if filters.date_from is not None:
        conditions.append(Transaction.date >= _start_of_day(filters.date_from))
    if filters.date_to is not None:
        conditions.append(Transaction.date < _start_of_day(filters.date_to + timedelta(days=1)))
    if filters.category_id is not None:
        conditions.append(Transaction.category_id == filters.category_id)
    if filters.type is not None:
        conditions.append(Transaction.type == filters.type)
    if filters.q is not None:
        conditions.append(
            Transaction.description.icontains(filters.q, autoescape=True)
            | Transaction.merchant_name.icontains(filters.q, autoescape=True)
        )
    if filters.amount_min_cents is not None:
        conditions.append(Transaction.amount_cents >= filters.amount_min_cents)
    if filters.amount_max_cents is not None:
        conditions.append(Transaction.amount_cents <= filters.amount_max_cents)
    return conditions


def _start_of_day(day: date) -> datetime:
    """Midnight of `day` in Brazil, where the company's calendar is."""
    return datetime(day.year, day.month, day.day, tzinfo=BRAZIL_TIME)
