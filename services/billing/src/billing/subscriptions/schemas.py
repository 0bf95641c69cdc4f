"""API shapes of a company's subscription."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from billing.plans.schemas import BillingPeriod, Limits
from billing.usage.schemas import UsageOut

Status = Literal["trial", "active", "past_due", "paused", "cancelled", "expired"]


class PlanSummary(BaseModel):
    id: int
    slug: str
    name: str


class ActionRequired(BaseModel):
    """Something the user must do for a payment to go through, and where to do it."""

    type: str
    invoice_id: str | None = None
    hosted_invoice_url: str | None = None


class CardOut(BaseModel):
    """The card Stripe charges: never its number."""

    model_config = ConfigDict(from_attributes=True)

    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None


class SubscriptionOut(BaseModel):
    status: Status
    plan: PlanSummary | None
    billing_period: BillingPeriod | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    trial_ends_at: datetime | None
    cancel_at_period_end: bool
    limits: Limits
    usage: UsageOut | None
    action_required: ActionRequired | None
    payment_method: CardOut | None


class SubscriptionSummary(BaseModel):
    status: Status
    plan: PlanSummary | None
    trial_ends_at: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
