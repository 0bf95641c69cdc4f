"""Field types every service's API schemas share: text and integers PostgreSQL can store.

A value outside them would pass pydantic and then fail in the database (a 500); with them it is a
422 `validation_error` like any other malformed input.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# The largest values an INTEGER and a BIGINT column hold.
MAX_INTEGER = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def encodable(text: str) -> bool:
    """Whether the text has a UTF-8 form: a lone surrogate ("\\ud800" in JSON) has none."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> bool:
    """Whether PostgreSQL can store the text: UTF-8 (no lone surrogate) without NUL."""
    return "\x00" not in text and encodable(text)


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain the NUL character")
    if not encodable(text):
        raise ValueError("must be valid Unicode text")
    return text


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ].+")


# pydantic would also read a number ("1.9e-86") as seconds since 1970: a typo, not a time.
def _written_as_iso_day(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("must be a day written YYYY-MM-DD")


def _written_as_iso_instant(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_INSTANT.fullmatch(value)):
        return value
    raise ValueError("must be a time written YYYY-MM-DDTHH:MM:SS with its zone")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be only spaces")
    return text


# Any text the database or a provider receives.
Text = Annotated[str, AfterValidator(_storable)]
# Text that must say something (a name, a rule's value), not only spaces.
NonBlankText = Annotated[str, AfterValidator(_storable), AfterValidator(_not_blank)]
# A calendar day, only as "YYYY-MM-DD".
IsoDay = Annotated[date, BeforeValidator(_written_as_iso_day)]
# A time with its zone, only as ISO 8601 text.
IsoInstant = Annotated[AwareDatetime, BeforeValidator(_written_as_iso_instant)]
