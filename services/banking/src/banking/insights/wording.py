"""How insights write months, numbers and shares in Brazilian Portuguese."""

from __future__ import annotations

from datetime import date

# How a finding names spending no category was given.
UNCATEGORISED = "Sem categoria"
_MONTHS = ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez")


def month_key(month: date) -> str:
    """`2026-11`, as evidence names a month."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """`nov/2026`."""
    return f"{_MONTHS[month.month - 1]}/{month.year}"


def decimal(value: float, places: int = 1) -> str:
    """`4,5`: a decimal comma, a dot between thousands."""
    return f"{value:,.{places}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def percent(share: float, places: int = 0) -> str:
    """`42%` (or `42,5%`) of a share between 0 and 1."""
    return f"{decimal(share * 100, places)}%"


def day_label(day: date) -> str:
    """`15/04/2027`."""
    return day.strftime("%d/%m/%Y")
