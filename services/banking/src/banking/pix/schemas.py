"""API shapes of PIX payments and automatic PIX; money in integer cents."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from banking.fields import CalendarDay
from finhub_shared.fields import Text

Cents = Annotated[int, Field(gt=0, le=100_000_000_00)]
Text140 = Annotated[Text, Field(min_length=1, max_length=140)]


class PixKeyRecipient(BaseModel):
    pix_key: Text = Field(
        min_length=1, max_length=100, description="CPF, CNPJ, e-mail, phone or random key."
    )


class BankAccountRecipient(BaseModel):
    tax_number: str = Field(pattern=r"^\d{11}$|^\d{14}$", description="CPF or CNPJ, digits only.")
    name: Text = Field(min_length=1, max_length=200)
    institution_id: uuid.UUID = Field(description="Pluggy's payment institution id.")
    branch: str = Field(pattern=r"^\d{1,6}$")
    account_number: str = Field(pattern=r"^[\dXx-]{1,20}$")
    account_type: Literal["CHECKING_ACCOUNT", "SAVINGS_ACCOUNT", "GUARANTEED_ACCOUNT"] = (
        "CHECKING_ACCOUNT"
    )


Recipient = PixKeyRecipient | BankAccountRecipient


class SingleSchedule(BaseModel):
    type: Literal["single"]
    date: CalendarDay


class DailySchedule(BaseModel):
    type: Literal["daily"]
    start_date: CalendarDay
    occurrences: int = Field(ge=2, le=60)


class WeeklySchedule(BaseModel):
    type: Literal["weekly"]
    start_date: CalendarDay
    occurrences: int = Field(ge=2, le=60)
    day_of_week: Literal[
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"
    ]


class MonthlySchedule(BaseModel):
    type: Literal["monthly"]
    start_date: CalendarDay
    occurrences: int = Field(ge=2, le=60)
    day_of_month: int = Field(ge=1, le=31)


Schedule = Annotated[
    SingleSchedule | DailySchedule | WeeklySchedule | MonthlySchedule, Field(discriminator="type")
]


class PaymentCreate(BaseModel):
    """A PIX payment; with `schedule`, `amount_cents` is paid on each date."""

    amount_cents: Cents
    recipient: Recipient
    description: Text140 | None = None
    schedule: Schedule | None = None


class ScheduledDateRead(BaseModel):
    """One date of a scheduled payment, with Pluggy's status of it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    scheduled_date: dt.date
    description: str | None
    status: str = Field(description="Pluggy's: SCHEDULED, COMPLETED, CANCELED or ERROR.")
    end_to_end_id: str | None
    error: str | None


class PaymentRead(BaseModel):
    """A PIX payment: send the payer to `payment_url` to authorise it at their bank."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    amount_cents: int
    description: str | None
    recipient_name: str | None
    recipient_pix_key: str | None
    schedule: dict[str, Any] | None
    schedules: list[ScheduledDateRead] = Field(
        description="A scheduled payment's dates, once the payer has authorised them."
    )
    payment_url: str
    status: str
    request_status: str
    intent_status: str | None
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class FirstPayment(BaseModel):
    amount_cents: Cents
    date: CalendarDay | None = Field(None, description="Paid at once when absent.")
    description: Text140 | None = None


class MandateCreate(BaseModel):
    """An automatic PIX mandate: a fixed amount each cycle, or a range the amount may vary in."""

    recipient: Recipient
    interval: Literal["WEEKLY", "MONTHLY", "QUARTERLY", "SEMESTER", "YEARLY"]
    start_date: CalendarDay
    expires_on: CalendarDay | None = None
    fixed_amount_cents: Cents | None = None
    minimum_amount_cents: Cents | None = None
    maximum_amount_cents: Cents | None = None
    description: Text140 | None = None
    first_payment: FirstPayment | None = None

    @model_validator(mode="after")
    def _fixed_or_range(self) -> Self:
        ranged = self.minimum_amount_cents is not None or self.maximum_amount_cents is not None
        if (self.fixed_amount_cents is None) == (not ranged):
            raise ValueError("give fixed_amount_cents, or minimum/maximum_amount_cents, not both")
        low, high = self.minimum_amount_cents, self.maximum_amount_cents
        if low is not None and high is not None and low > high:
            raise ValueError("minimum_amount_cents must not be above maximum_amount_cents")
        if self.expires_on is not None and self.expires_on < self.start_date:
            raise ValueError("expires_on must not be before start_date")
        return self


class MandatePaymentCreate(BaseModel):
    """One cycle's payment; Pluggy takes dates 2 to 10 days ahead."""

    amount_cents: Cents
    date: CalendarDay
    description: Text140 | None = None


class MandatePaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    amount_cents: int
    date: dt.date
    description: str | None
    status: str
    end_to_end_id: str | None
    error: str | None


class MandateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recipient_name: str | None
    interval: str
    start_date: dt.date
    expires_on: dt.date | None
    fixed_amount_cents: int | None
    minimum_amount_cents: int | None
    maximum_amount_cents: int | None
    description: str | None
    payment_url: str
    status: str
    request_status: str
    created_at: dt.datetime


class MandateDetail(MandateRead):
    payments: list[MandatePaymentRead]
