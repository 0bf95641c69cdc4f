"""A payment request's `schedule` (SINGLE, DAILY, WEEKLY, MONTHLY, CUSTOM) and its dates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import Field

from provider_sandbox.pluggy.bodies import CamelModel

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class SingleSchedule(CamelModel):
    type: Literal["SINGLE"]
    day: date = Field(alias="date")


class DailySchedule(CamelModel):
    type: Literal["DAILY"]
    start_date: date = Field(alias="startDate")
    occurrences: int = Field(ge=3, le=59)


class WeeklySchedule(CamelModel):
    type: Literal["WEEKLY"]
    start_date: date = Field(alias="startDate")
    day_of_week: Literal[
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"
    ] = Field(alias="dayOfWeek")
    occurrences: int = Field(ge=3, le=59)


class MonthlySchedule(CamelModel):
    type: Literal["MONTHLY"]
    start_date: date = Field(alias="startDate")
    day_of_month: int = Field(alias="dayOfMonth", ge=1, le=30)
    occurrences: int = Field(ge=3, le=23)


class CustomSchedule(CamelModel):
    type: Literal["CUSTOM"]
    dates: list[date] = Field(min_length=1)
    additional_information: str | None = Field(None, alias="additionalInformation")


Schedule = Annotated[
    SingleSchedule | DailySchedule | WeeklySchedule | MonthlySchedule | CustomSchedule,
    Field(discriminator="type"),
]


def _monthly_dates(start: date, day_of_month: int, occurrences: int) -> list[date]:
    dates: list[date] = []
    year, month = start.year, start.month
    while len(dates) < occurrences:
        day = min(day_of_month, calendar.monthrange(year, month)[1])
        candidate = date(year, month, day)
        if candidate >= start:
            dates.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def payment_dates(schedule: Schedule) -> list[date]:
    """Every date the schedule pays on, in order."""
    if isinstance(schedule, SingleSchedule):
        return [schedule.day]
    if isinstance(schedule, DailySchedule):
        return [schedule.start_date + timedelta(days=n) for n in range(schedule.occurrences)]
    if isinstance(schedule, WeeklySchedule):
        wanted = WEEKDAYS.index(schedule.day_of_week)
        first = schedule.start_date + timedelta(days=(wanted - schedule.start_date.weekday()) % 7)
        return [first + timedelta(weeks=n) for n in range(schedule.occurrences)]
    if isinstance(schedule, MonthlySchedule):
        return _monthly_dates(schedule.start_date, schedule.day_of_month, schedule.occurrences)
    return sorted(schedule.dates)
