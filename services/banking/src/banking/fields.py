"""Field types the API's schemas share: text and amounts PostgreSQL can store, days it serves.

A value outside them would pass pydantic and then fail in the database (a 500); with them it is a
422 `validation_error` like any other malformed input.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

# The largest amount a BIGINT column holds.
MAX_CENTS = 2**63 - 1
# The calendar days the listing and the dashboard accept. Far beyond them, the day after or a
# midnight in Brazil's time zone no longer fits in a date or a PostgreSQL timestamp.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def _storable(text: str) -> str:
    """PostgreSQL cannot store the NUL character, and UTF-8 cannot encode a lone surrogate."""
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be only spaces")
    return text


# Any text the database or Pluggy receives.
Text = Annotated[str, AfterValidator(_storable)]
# Text that must say something: a rule's value of only spaces would match every transaction.
NonBlankText = Annotated[str, AfterValidator(_storable), AfterValidator(_not_blank)]
AmountCents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
CalendarDay = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
