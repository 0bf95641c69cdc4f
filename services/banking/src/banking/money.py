"""Money as integer cents, written in reais, and Brazil's calendar month of a moment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Date, SQLColumnExpression, cast, func

# Brazil has had no daylight saving time since 2019: its calendar runs at UTC-3 all year.
BRAZIL_TIME = timezone(timedelta(hours=-3), "BRT")
# The same calendar as PostgreSQL names it (which also knows the daylight saving time before 2019).
CALENDAR_ZONE = "America/Sao_Paulo"


def to_cents(amount: Decimal) -> int:
    """The amount in integer cents, rounded half up."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def brl(cents: int) -> str:
    """The amount as Brazilians write reais: `R$ 1.234,56`, `-R$ 31,90`."""
    whole, cents_part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    sign = "-" if cents < 0 else ""
    return f"{sign}R$ {grouped},{cents_part:02d}"


def month_of(moment: datetime) -> date:
    """The first day of the calendar month `moment` falls in, in Brazil."""
    local = moment.astimezone(BRAZIL_TIME)
    return date(local.year, local.month, 1)


def month_of_column(moment: SQLColumnExpression[datetime]) -> ColumnElement[date]:
    """`month_of` in SQL, for a timestamptz column."""
    return cast(func.date_trunc("month", func.timezone(CALENDAR_ZONE, moment)), Date)
