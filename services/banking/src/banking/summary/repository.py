"""The dashboard's aggregate queries, each limited to one company."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import ACTIVE, BankAccount
from banking.categories import repository as categories
from banking.categories.repository import normalised
from banking.items.models import CLOSED_STATUSES, Item
from banking.money import month_of_column
from banking.summary.schemas import (
    BalanceByType,
    CategorySpending,
    MerchantSpending,
    MonthTotals,
    RecurringPayment,
)
from banking.transactions.models import CREDIT, DEBIT, Transaction
from finhub_shared.auth import Principal, scoped

Columns = TypeVarTuple("Columns")

# Moving money between the company's own accounts is neither income nor spending.
OWN_TRANSFERS_CATEGORY_PREFIX = "04"
TOP_MERCHANTS = 10
RECURRING_MIN_MONTHS = 3
# How far apart a recurring payment's amounts may be, relative to their average.
RECURRING_AMOUNT_SPREAD = 0.2


async def balances(session: AsyncSession, principal: Principal) -> list[BalanceByType]:
    """Total balance per account type, across every open connection; accounts blocked past the
    plan's limit are not counted."""
    account_type = func.coalesce(BankAccount.subtype, BankAccount.type)
    statement = scoped(
        select(account_type, func.count(), func.sum(BankAccount.balance_cents))
        .join(Item, Item.id == BankAccount.item_id)
        .where(Item.status.not_in(CLOSED_STATUSES), BankAccount.status == ACTIVE)
        .group_by(account_type)
        .order_by(account_type),
        BankAccount,
        principal,
    )
    rows = await session.execute(statement)
    return [BalanceByType(account_type=t, accounts=n, balance_cents=int(s)) for t, n, s in rows]


async def months(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> list[MonthTotals]:
    """Income (money in on bank accounts) and spending (money out) per calendar month."""
    month = month_of_column(Transaction.date)
    income = func.sum(
        case(
            (
                and_(Transaction.type == CREDIT, BankAccount.type == "BANK"),
                Transaction.amount_cents,
            ),
            else_=0,
        )
    )
    spending = func.sum(case((Transaction.type == DEBIT, Transaction.amount_cents), else_=0))
    statement = (
        _counted(principal, start, end, select(month, income, spending))
        .join(BankAccount, BankAccount.id == Transaction.account_id)
        .group_by(month)
        .order_by(month)
    )
    rows = await session.execute(statement)
    return [
        MonthTotals(month=m.strftime("%Y-%m"), income_cents=int(i), spending_cents=int(s))
        for m, i, s in rows
    ]


async def spending_by_category(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> list[CategorySpending]:
    """Money out per category, largest first, each named as users read it (pt-BR)."""
    total = func.sum(Transaction.amount_cents)
    # The category's transactions share its translation; of stored names, any one will do.
    name = func.max(categories.shown_name())
    statement = (
        _counted(principal, start, end, select(Transaction.category_id, name, total))
        .where(Transaction.type == DEBIT)
        .group_by(Transaction.category_id)
        .order_by(total.desc(), Transaction.category_id)
    )
    rows = await session.execute(categories.with_category(statement))
    return [
        CategorySpending(category_id=c, category_name=n, spending_cents=int(s)) for c, n, s in rows
    ]


async def top_merchants(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> list[MerchantSpending]:
    """Where most money went: by merchant, else by description."""
    payee = _payee()
    total = func.sum(Transaction.amount_cents)
    statement = (
        _counted(principal, start, end, select(payee, func.count(), total))
        .where(Transaction.type == DEBIT)
        .group_by(payee)
        .order_by(total.desc(), payee)
        .limit(TOP_MERCHANTS)
    )
    rows = await session.execute(statement)
    return [MerchantSpending(merchant=m, transactions=n, spending_cents=int(s)) for m, n, s in rows]


async def recurring_payments(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> list[RecurringPayment]:
    """Payments to one payee, of about the same amount, in at least three different months."""
    payee = _payee()
    month = month_of_column(Transaction.date)
    months_paid = func.count(func.distinct(month))
    average = func.avg(Transaction.amount_cents)
    statement = (
        _counted(
            principal, start, end, select(payee, months_paid, average, func.max(Transaction.date))
        )
        .where(Transaction.type == DEBIT)
        .group_by(payee)
        .having(months_paid >= RECURRING_MIN_MONTHS)
        .having(
            func.max(Transaction.amount_cents) - func.min(Transaction.amount_cents)
            <= average * RECURRING_AMOUNT_SPREAD
        )
        .order_by(months_paid.desc(), average.desc())
    )
    rows = await session.execute(statement)
    return [
        RecurringPayment(merchant=p, months=n, average_cents=round(a), last_paid_at=last)
        for p, n, a, last in rows
    ]


def _counted(
    principal: Principal, start: datetime, end: datetime, statement: Select[*Columns]
) -> Select[*Columns]:
    """The caller's transactions in [start, end), without moves between their own accounts nor
    those hidden past their month's limit."""
    return scoped(
        statement.select_from(Transaction).where(
            ~Transaction.over_limit,
            Transaction.date >= start,
            Transaction.date < end,
            func.coalesce(Transaction.category_id, "").not_like(
                f"{OWN_TRANSFERS_CATEGORY_PREFIX}%"
            ),
        ),
        Transaction,
        principal,
    )


def _payee() -> ColumnElement[str]:
    return func.coalesce(Transaction.merchant_name, normalised(Transaction.description))
