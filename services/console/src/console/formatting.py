"""Money, dates and months as a Brazilian reads them (Babel's pt_BR data)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency, format_decimal

LOCALE = "pt_BR"
ZONE = get_timezone("America/Sao_Paulo")


def brl(cents: int | None) -> str:
    """`R$ 1.234,56` (a no-break space after R$); negative amounts with a minus sign."""
    if cents is None:
        return "—"
    return format_currency(Decimal(cents) / 100, "BRL", locale=LOCALE)


def number(value: int | float | None) -> str:
    """`1.234` or `12,5`."""
    return "—" if value is None else format_decimal(value, locale=LOCALE)


def day(value: str | date | None) -> str:
    """`07/12/2026` from a date or an ISO date or instant."""
    if value is None or value == "":
        return "—"
    parsed = _date(value)
    return format_date(parsed, "dd/MM/yyyy", locale=LOCALE)


def moment(value: str | datetime | None) -> str:
    """`07/12/2026 14:03:22` in São Paulo's time, from an instant."""
    if value is None or value == "":
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(instant, "dd/MM/yyyy HH:mm:ss", tzinfo=ZONE, locale=LOCALE)


def month(value: str) -> str:
    """`dez. 2026` from `2026-12` or a date in that month."""
    parsed = date.fromisoformat(value + "-01") if len(value) == 7 else _date(value)
    return format_date(parsed, "MMM yyyy", locale=LOCALE)


def short_month(value: str) -> str:
    """`dez/26` from `2026-12`: short enough for twelve under a phone-wide chart."""
    parsed = date.fromisoformat(value + "-01")
    name = format_date(parsed, "MMM", locale=LOCALE).rstrip(".")
    return f"{name}/{parsed:%y}"


def _date(value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value).date()
