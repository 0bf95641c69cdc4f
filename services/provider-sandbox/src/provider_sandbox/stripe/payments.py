"""Test cards, payment methods, payment intents and charges."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import StripeApiError
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.ids import new_id, random_token
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState

router = APIRouter(dependencies=[Depends(require_api_key)])

PaymentOutcome = Literal["succeed", "fail", "requires_action"]
OnSession = Literal["succeed", "decline", "authenticate"]

CARD_YEARS_VALID = 3


@dataclass(frozen=True)
class SandboxCard:
    """How one of Stripe's documented test cards behaves."""

    number: str
    brand: str
    label: str
    on_session: OnSession
    off_session: PaymentOutcome
    decline_code: str = "generic_decline"

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS: dict[str, SandboxCard] = {
    card.number: card
    for card in (
        SandboxCard("4242424242424242", "visa", "Visa: succeeds", "succeed", "succeed"),
        SandboxCard("5555555555554444", "mastercard", "Mastercard: succeeds", "succeed", "succeed"),
        SandboxCard("4000000000000002", "visa", "Visa: declined", "decline", "fail"),
        SandboxCard(
            "4000000000009995",
            "visa",
            "Visa: insufficient funds",
            "decline",
            "fail",
            decline_code="insufficient_funds",
        ),
        SandboxCard(
            "4000002500003155",
            "visa",
            "Visa: 3-D Secure when on session",
            "authenticate",
            "succeed",
        ),
        SandboxCard(
            "4000002760003184", "visa", "Visa: 3-D Secure always", "authenticate", "requires_action"
        ),
    )
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def card_by_number(number: str) -> SandboxCard:
    """The test card with that number (spaces ignored), or Stripe's `incorrect_number` error."""
    card = TEST_CARDS.get(number.replace(" ", "").replace("-", ""))
    if card is None:
        raise StripeApiError(
            402,
            "Your card number is incorrect.",
            error_type="card_error",
            code="incorrect_number",
            param="number",
        )
    return card


def decline_error(card: SandboxCard) -> StripeApiError:
    """The 402 a declined card gets."""
    return StripeApiError(
        402,
        DECLINE_MESSAGES.get(card.decline_code, "Your card was declined."),
        error_type="card_error",
        code="card_declined",
        decline_code=card.decline_code,
    )


def authentication_failed() -> StripeApiError:
    """The 402 when the customer fails 3-D Secure."""
    return StripeApiError(
        402,
        "We are unable to authenticate your payment method. Please choose a different "
        "payment method and try again.",
        error_type="invalid_request_error",
        code="payment_intent_authentication_failure",
    )


def attach_card(
    state: StripeState, card: SandboxCard, customer: StripeObject, request: RequestInfo
) -> StripeObject:
    """A card payment method attached to `customer`; emits `payment_method.attached`."""
    payment_method = new_card_payment_method(
        state, card, customer["id"], customer.get("email"), customer.get("name")
    )
    emit(state, "payment_method.attached", payment_method, request)
    return payment_method


def new_card_payment_method(
    state: StripeState,
    card: SandboxCard,
    customer_id: str | None,
    email: str | None,
    name: str | None = None,
) -> StripeObject:
    """A card payment method, attached to no customer when `customer_id` is None."""
    created = state.now()
    expiry_year = datetime.fromtimestamp(created, UTC).year + CARD_YEARS_VALID
    payment_method: StripeObject = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "always",
        "billing_details": {"address": None, "email": email, "name": name, "phone": None},
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": expiry_year,
            "fingerprint": hashlib.sha256(card.number.encode()).hexdigest()[:16],
            "funding": "credit",
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    state.add(payment_method)
    state.card_numbers[payment_method["id"]] = card.number
    return payment_method


def card_of(state: StripeState, payment_method_id: str) -> SandboxCard:
    """The test card behind a payment method."""
    return TEST_CARDS[state.card_numbers[payment_method_id]]


def new_payment_intent(
    state: StripeState,
    amount: int,
    customer_id: str | None,
    payment_method_id: str,
    description: str | None,
    *,
    setup_future_usage: str | None = "off_session",
) -> StripeObject:
    """A card payment intent, not yet confirmed (by default the card is kept for renewals)."""
    intent_id = new_id("pi")
    return state.add(
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{random_token(24)}",
            "confirmation_method": "automatic",
            "created": state.now(),
            "currency": "brl",
            "customer": customer_id,
            "description": description,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {},
            "next_action": None,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "setup_future_usage": setup_future_usage,
            "status": "requires_confirmation",
        }
    )


def new_charge(
    state: StripeState, intent: StripeObject, card: SandboxCard, *, succeeded: bool
) -> StripeObject:
    """The charge of one payment attempt, succeeded or declined."""
    payment_method = state.objects[intent["payment_method"]]
    failure_message = None if succeeded else DECLINE_MESSAGES.get(card.decline_code)
    charge: StripeObject = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if succeeded else 0,
        "amount_refunded": 0,
        "balance_transaction": new_id("txn") if succeeded else None,
        "billing_details": payment_method["billing_details"],
        "captured": succeeded,
        "created": state.now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": None if succeeded else "card_declined",
        "failure_message": failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "outcome": _outcome(card, succeeded),
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": {"card": payment_method["card"], "type": "card"},
        "receipt_url": None,
        "refunded": False,
        "status": "succeeded" if succeeded else "failed",
    }
    return state.add(charge)


def succeed_intent(state: StripeState, intent: StripeObject, request: RequestInfo) -> StripeObject:
    """The bank accepts the card: a charge; emits `payment_intent.succeeded`, `charge.succeeded`."""
    card = card_of(state, intent["payment_method"])
    charge = new_charge(state, intent, card, succeeded=True)
    intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"])
    emit(state, "payment_intent.succeeded", intent, request)
    emit(state, "charge.succeeded", charge, request)
    return charge


def decline_intent(state: StripeState, intent: StripeObject, request: RequestInfo) -> StripeObject:
    """The bank declines the card: emits `payment_intent.payment_failed` and `charge.failed`."""
    card = card_of(state, intent["payment_method"])
    charge = new_charge(state, intent, card, succeeded=False)
    intent.update(
        status="requires_payment_method",
        latest_charge=charge["id"],
        last_payment_error={
            "charge": charge["id"],
            "code": "card_declined",
            "decline_code": card.decline_code,
            "message": DECLINE_MESSAGES.get(card.decline_code, "Your card was declined."),
            "payment_method": state.objects[intent["payment_method"]],
            "type": "card_error",
        },
    )
    emit(state, "payment_intent.payment_failed", intent, request)
    emit(state, "charge.failed", charge, request)
    return charge


def _outcome(card: SandboxCard, succeeded: bool) -> StripeObject:
    if succeeded:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": card.decline_code,
        "risk_level": "normal",
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


@router.get("/v1/payment_intents/{intent_id}")
async def retrieve_payment_intent(intent_id: str, call: Call) -> JSONResponse:
    """One payment intent."""
    return call.respond(call.state.get(intent_id, "payment_intent"))


@router.get("/v1/charges")
async def list_charges(call: Call) -> JSONResponse:
    """Charges newest first, optionally of one `customer` or `payment_intent`."""
    charges = filter_by(call.state.of_type("charge"), call.params, "customer", "payment_intent")
    return call.respond_list(charges, "/v1/charges")


@router.get("/v1/charges/{charge_id}")
async def retrieve_charge(charge_id: str, call: Call) -> JSONResponse:
    """One charge."""
    return call.respond(call.state.get(charge_id, "charge"))


@router.get("/v1/payment_methods/{payment_method_id}")
async def retrieve_payment_method(payment_method_id: str, call: Call) -> JSONResponse:
    """One payment method."""
    return call.respond(call.state.get(payment_method_id, "payment_method"))


@router.get("/v1/customers/{customer_id}/payment_methods")
async def list_customer_payment_methods(customer_id: str, call: Call) -> JSONResponse:
    """A customer's payment methods, newest first."""
    call.state.get(customer_id, "customer")
    methods = [
        each for each in call.state.of_type("payment_method") if each["customer"] == customer_id
    ]
    return call.respond_list(methods, f"/v1/customers/{customer_id}/payment_methods")
