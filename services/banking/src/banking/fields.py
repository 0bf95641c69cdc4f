"""Field types banking's schemas share: amounts PostgreSQL can store, days it serves.

Text types every service needs live in finhub_shared.fields.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from finhub_shared.fields import MAX_BIGINT, IsoDay

# The calendar days the listing and the dashboard accept. Far beyond them, the day after or a
# midnight in Brazil's time zone no longer fits in a date or a PostgreSQL timestamp.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)

AmountCents = Annotated[int, Field(ge=0, le=MAX_BIGINT)]
CalendarDay = Annotated[IsoDay, Field(ge=FIRST_DAY, le=LAST_DAY)]
