"""Money as integer cents, and Brazil's calendar month of a moment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

# Brazil has had no daylight saving time since 2019: its calendar runs at UTC-3 all year.
BRAZIL_TIME = timezone(timedelta(hours=-3), "BRT")


def to_cents(amount: Decimal) -> int:
    """The amount in integer cents, rounded half up."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def month_of(moment: datetime) -> date:
    """The first day of the calendar month `moment` falls in, in Brazil."""
    local = moment.astimezone(BRAZIL_TIME)
    return date(local.year, local.month, 1)
