"""Calendar months as the insights count them, each named by its first day: a module of its
own because detectors, flows and the API all count in months, and wording.py only writes them."""

from __future__ import annotations

from datetime import date


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def months_before(month: date, count: int) -> date:
    """The first day of the month `count` months before `month`'s (after it when negative)."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)
