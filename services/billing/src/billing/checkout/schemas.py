"""API shapes of checkout, the customer portal and the user's changes to a subscription."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from billing.plans.schemas import BillingPeriod, PlanId


class CheckoutRequest(BaseModel):
    plan_id: PlanId
    billing_period: BillingPeriod


class CheckoutOut(BaseModel):
    checkout_url: str
    session_id: str


class PortalOut(BaseModel):
    url: str


class CancelRequest(BaseModel):
    when: Literal["period_end", "now"] = "period_end"


class ChangePlanRequest(BaseModel):
    plan_id: PlanId
    billing_period: BillingPeriod
