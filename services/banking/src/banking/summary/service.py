"""The dashboard across every bank of the company, for a period of calendar days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from banking.money import BRAZIL_TIME
from banking.summary import repository
from banking.summary.errors import InvalidPeriod
from banking.summary.schemas import Summary
from banking.transactions import repository as transactions
from finhub_shared.auth import Principal

# Without dates, the dashboard covers the last twelve months up to today.
DEFAULT_MONTHS = 12
MAX_DAYS = 3 * 366


async def summary(
    session: AsyncSession,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    today: date,
) -> Summary:
    """Balances now; income, spending, categories, merchants, recurring payments in the period."""
    date_to = date_to or today
    date_from = date_from or _months_before(date_to, DEFAULT_MONTHS)
    if date_from > date_to:
        raise InvalidPeriod("`from` must not be after `to`.")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidPeriod("The period may be at most three years.")
    start, end = _midnight(date_from), _midnight(date_to + timedelta(days=1))
    return Summary(
        date_from=date_from,
        date_to=date_to,
        balances=await repository.balances(session, principal),
        months=await repository.months(session, principal, start, end),
        spending_by_category=await repository.spending_by_category(session, principal, start, end),
        top_merchants=await repository.top_merchants(session, principal, start, end),
        recurring_payments=await repository.recurring_payments(session, principal, start, end),
        hidden_transactions=await transactions.hidden_between(session, principal, start, end),
    )


def _months_before(day: date, months: int) -> date:
    """The first day of the month `months - 1` months before `day`'s (twelve whole months)."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BRAZIL_TIME)
