"""The Stripe half's control API under `/_sandbox/stripe`: what only Stripe or a bank can do.

Pay a checkout session or an invoice with a test card, move the clock (renewals, retries,
trial ends), turn automatic retries on, open and close disputes, raise early fraud warnings,
update a card automatically, replace a subscription's card on file (so its next renewal fails,
say).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from provider_sandbox.stripe.api import State
from provider_sandbox.stripe.billing_cycle import advance_clock
from provider_sandbox.stripe.checkout import complete_checkout
from provider_sandbox.stripe.disputes import (
    close_dispute,
    open_dispute,
    raise_fraud_warning,
    succeeded_charge,
)
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.payments import PaymentOutcome, attach_card, card_by_number
from provider_sandbox.stripe.state import RequestInfo, StripeObject, snapshot
from provider_sandbox.stripe.subscriptions import change, pay_with_new_card

router = APIRouter(prefix="/_sandbox/stripe", tags=["sandbox control: stripe"])

ThreeDSecure = Literal["complete", "fail"]


def _control_request() -> RequestInfo:
    # What the control API does stands for a person on a Stripe page: a request with no key.
    return RequestInfo(id=new_id("req", 14))


class CardPayment(BaseModel):
    """A test card, and how its 3-D Secure challenge (if any) ends."""

    card_number: str = Field(examples=["4242424242424242"])
    three_d_secure: ThreeDSecure = "complete"
    email: str | None = None


class CardOnFile(BaseModel):
    """A test card to charge from now on."""

    card_number: str = Field(examples=["4000000000000002"])


class Advance(BaseModel):
    """How far to move the clock, and how every payment attempt on the way ends."""

    days: float = Field(0, ge=0)
    hours: float = Field(0, ge=0)
    minutes: float = Field(0, ge=0)
    renewal: PaymentOutcome | None = Field(
        None, description="Default: as the card on file answers (4242 succeeds)."
    )


class DisputeOpening(BaseModel):
    charge: str
    reason: str = "fraudulent"
    amount: int | None = Field(None, gt=0)


class DisputeOutcome(BaseModel):
    status: Literal["won", "lost", "warning_closed"]


class FraudWarning(BaseModel):
    charge: str
    fraud_type: str = "made_with_stolen_card"


class Retries(BaseModel):
    """Whether Stripe retries failed subscription payments by itself (a Dashboard setting)."""

    enabled: bool


class CardUpdate(BaseModel):
    """New details a card network's account updater sends."""

    exp_month: int = Field(12, ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    last4: str | None = Field(None, pattern=r"^\d{4}$")


@router.get("/clock")
async def clock(state: State) -> dict[str, int]:
    """The Stripe half's current Unix time."""
    return {"now": state.now()}


@router.post("/advance")
async def advance(body: Advance, state: State) -> dict[str, Any]:
    """Move the clock; returns the new time and the event types emitted on the way."""
    delta = timedelta(days=body.days, hours=body.hours, minutes=body.minutes)
    return await advance_clock(state, body.renewal, delta)


@router.post("/retries")
async def automatic_retries(body: Retries, state: State) -> dict[str, bool]:
    """Turn Stripe's automatic retries of failed renewals on or off (off at start, as billing
    needs its account: it retries by itself)."""
    state.automatic_retries = body.enabled
    return {"automatic_retries": state.automatic_retries}


@router.post("/checkout/{session_id}/pay")
async def pay_checkout(session_id: str, body: CardPayment, state: State) -> StripeObject:
    """Pay a checkout session as the hosted page would; errors are Stripe's (402 declines)."""
    return complete_checkout(
        state,
        session_id,
        body.card_number,
        _control_request(),
        authenticated=body.three_d_secure == "complete",
        email=body.email,
    )


@router.post("/invoices/{invoice_id}/pay")
async def pay_invoice(invoice_id: str, body: CardPayment, state: State) -> StripeObject:
    """Pay an open invoice as its hosted page would."""
    invoice = state.get(invoice_id, "invoice")
    pay_with_new_card(
        state,
        invoice,
        body.card_number,
        _control_request(),
        authenticated=body.three_d_secure == "complete",
    )
    return invoice


@router.post("/disputes", status_code=201)
async def dispute_charge(body: DisputeOpening, state: State) -> StripeObject:
    """The cardholder disputes a charge."""
    charge = succeeded_charge(state, body.charge)
    return open_dispute(state, charge, body.reason, body.amount, _control_request())


@router.post("/disputes/{dispute_id}/close")
async def decide_dispute(dispute_id: str, body: DisputeOutcome, state: State) -> StripeObject:
    """The bank closes a dispute as won, lost or (for inquiries) warning_closed."""
    dispute = state.get(dispute_id, "dispute")
    return close_dispute(state, dispute, body.status, _control_request())


@router.post("/early_fraud_warnings", status_code=201)
async def fraud_warning(body: FraudWarning, state: State) -> StripeObject:
    """The issuer reports a charge as fraudulent."""
    charge = succeeded_charge(state, body.charge)
    return raise_fraud_warning(state, charge, body.fraud_type, _control_request())


@router.post("/payment_methods/{payment_method_id}/automatically_update")
async def update_card(payment_method_id: str, body: CardUpdate, state: State) -> StripeObject:
    """The card network replaced an expiring card; emits `payment_method.automatically_updated`."""
    payment_method = state.get(payment_method_id, "payment_method")
    previous = {"card": snapshot(payment_method["card"])}
    payment_method["card"].update(exp_month=body.exp_month, exp_year=body.exp_year)
    if body.last4 is not None:
        payment_method["card"]["last4"] = body.last4
    emit(state, "payment_method.automatically_updated", payment_method, RequestInfo(), previous)
    return payment_method


@router.post("/subscriptions/{subscription_id}/card")
async def replace_card_on_file(
    subscription_id: str, body: CardOnFile, state: State
) -> StripeObject:
    """The customer's card on file becomes this test card (as if changed at the bank); nothing is
    charged now, and the next renewal answers as that card does off session."""
    subscription = state.get(subscription_id, "subscription")
    customer = state.objects[subscription["customer"]]
    request = _control_request()
    payment_method = attach_card(state, card_by_number(body.card_number), customer, request)
    change(state, subscription, request, default_payment_method=payment_method["id"])
    return subscription
