"""Checkout sessions in payment mode: one card payment, with its payment intent and events.

The payment intent is made at the first attempt and kept for the next ones, as Stripe does; a
declined card or a failed 3-D Secure leaves the session open (402) for another card. The card is
not kept on a customer: a one-off payment does not save it.
"""

from __future__ import annotations

from provider_sandbox.stripe.customers import create_customer, customer_details
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.payments import (
    SandboxCard,
    authentication_failed,
    decline_error,
    decline_intent,
    new_card_payment_method,
    new_payment_intent,
    succeed_intent,
)
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState


def pay_session(
    state: StripeState,
    session: StripeObject,
    card: SandboxCard,
    request: RequestInfo,
    *,
    authenticated: bool,
    email: str | None,
) -> StripeObject:
    """Pay an open payment-mode session: `payment_intent.*`, `charge.*`, then the completion."""
    payer_email = session["customer_email"] or email
    if session["customer"] is not None:
        payer_email = state.objects[session["customer"]].get("email") or payer_email
    payment_method = new_card_payment_method(state, card, None, payer_email)
    intent = _session_intent(state, session, payment_method["id"], request)
    if card.on_session == "decline":
        decline_intent(state, intent, request)
        raise decline_error(card)
    if card.on_session == "authenticate" and not authenticated:
        _fail_authentication(state, intent, request)
        raise authentication_failed()
    if intent["customer"] is None and session["customer_creation"] == "always":
        intent["customer"] = create_customer(state, {"email": payer_email}, request)["id"]
    succeed_intent(state, intent, request)
    session.update(
        status="complete",
        payment_status="paid",
        customer=intent["customer"],
        customer_details=customer_details(payer_email),
    )
    emit(state, "checkout.session.completed", session, request)
    return session


def _session_intent(
    state: StripeState, session: StripeObject, payment_method_id: str, request: RequestInfo
) -> StripeObject:
    if session["payment_intent"] is not None:
        intent = state.objects[session["payment_intent"]]
        intent.update(payment_method=payment_method_id, last_payment_error=None)
        return intent
    intent = new_payment_intent(
        state,
        session["amount_total"],
        session["customer"],
        payment_method_id,
        None,
        setup_future_usage=None,
    )
    session["payment_intent"] = intent["id"]
    emit(state, "payment_intent.created", intent, request)
    return intent


def _fail_authentication(state: StripeState, intent: StripeObject, request: RequestInfo) -> None:
    intent.update(
        status="requires_payment_method",
        last_payment_error={
            "code": "payment_intent_authentication_failure",
            "message": str(authentication_failed()),
            "payment_method": state.objects[intent["payment_method"]],
            "type": "invalid_request_error",
        },
    )
    emit(state, "payment_intent.payment_failed", intent, request)
