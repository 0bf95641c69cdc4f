"""Checkout sessions (subscription or one-off payment mode), and what paying one creates."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.catalog import inline_price
from provider_sandbox.stripe.checkout_payments import pay_session
from provider_sandbox.stripe.customers import create_customer, customer_details, live_customer
from provider_sandbox.stripe.errors import invalid_param, invalid_state, parameter_missing
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import (
    Params,
    merge_metadata,
    optional_bool,
    optional_dict,
    optional_int,
    optional_list,
    optional_str,
    required_str,
)
from provider_sandbox.stripe.ids import new_id, random_token
from provider_sandbox.stripe.invoices import attempt_payment, create_invoice, finalize_invoice
from provider_sandbox.stripe.payments import (
    attach_card,
    authentication_failed,
    card_by_number,
    decline_error,
)
from provider_sandbox.stripe.state import (
    CheckoutExtras,
    RequestInfo,
    StripeObject,
    StripeState,
    snapshot,
)
from provider_sandbox.stripe.subscriptions import (
    create_subscription,
    emit_updated,
    first_invoice_lines,
)

router = APIRouter(dependencies=[Depends(require_api_key)])

SESSION_LIFETIME_SECONDS = 24 * 3600
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
# The price type each mode takes, and Stripe's words for a price of the other type.
_PRICE_TYPES = {
    "subscription": ("recurring", "In subscription mode every price must be recurring."),
    "payment": (
        "one_time",
        "You specified `payment` mode but passed a recurring price. Either switch to "
        "`subscription` mode or use only one-time prices.",
    ),
}


def create_session(state: StripeState, params: Params) -> StripeObject:
    """An open session (subscription or payment mode) whose URL is the sandbox's hosted page."""
    mode = required_str(params, "mode")
    if mode not in _PRICE_TYPES:
        raise invalid_param(
            "mode", "The sandbox supports Checkout with mode=subscription or payment."
        )
    line_items = _line_items(state, params, mode)
    customer_id = optional_str(params, "customer")
    if customer_id is not None:
        live_customer(state, customer_id, param="customer")
    subscription_data = optional_dict(params, "subscription_data") or {}
    trial_days = (
        optional_int(subscription_data, "trial_period_days") if mode == "subscription" else None
    )
    customer_creation = optional_str(params, "customer_creation") or "if_required"
    subtotal = sum(item["amount_subtotal"] for item in line_items)
    now = state.now()
    session_id = f"cs_test_{random_token(58)}"
    session: StripeObject = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": optional_bool(params, "allow_promotion_codes"),
        "amount_subtotal": subtotal,
        "amount_total": 0 if trial_days else subtotal,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": optional_str(params, "billing_address_collection"),
        "cancel_url": optional_str(params, "cancel_url"),
        "client_reference_id": optional_str(params, "client_reference_id"),
        "created": now,
        "currency": line_items[0]["currency"],
        "customer": customer_id,
        "customer_creation": customer_creation if mode == "payment" else None,
        "customer_details": None,
        "customer_email": optional_str(params, "customer_email"),
        "expires_at": optional_int(params, "expires_at") or now + SESSION_LIFETIME_SECONDS,
        "invoice": None,
        "livemode": False,
        "locale": optional_str(params, "locale"),
        "metadata": merge_metadata({}, optional_dict(params, "metadata")),
        "mode": mode,
        "payment_intent": None,
        "payment_method_collection": optional_str(params, "payment_method_collection") or "always",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "subscription": None,
        "success_url": optional_str(params, "success_url"),
        "ui_mode": "hosted_page",
        "url": f"{state.public_url}/checkout/{session_id}",
    }
    state.add(session)
    state.checkout_extras[session_id] = CheckoutExtras(
        line_items=line_items,
        subscription_metadata=merge_metadata({}, optional_dict(subscription_data, "metadata")),
        trial_period_days=trial_days,
    )
    return session


def _line_items(state: StripeState, params: Params, mode: str) -> list[StripeObject]:
    requested = optional_list(params, "line_items")
    if not requested:
        raise parameter_missing("line_items")
    items = []
    for index, entry in enumerate(requested):
        if not isinstance(entry, dict):
            raise parameter_missing(f"line_items[{index}][price]")
        price = _line_price(state, entry, f"line_items[{index}]", mode)
        quantity = optional_int(entry, "quantity") or 1
        product = state.objects[price["product"]]
        items.append(
            {
                "id": new_id("li"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": price["unit_amount"] * quantity,
                "amount_tax": 0,
                "amount_total": price["unit_amount"] * quantity,
                "currency": price["currency"],
                "description": product["name"],
                "price": snapshot(price),
                "quantity": quantity,
            }
        )
    return items


def _line_price(state: StripeState, entry: Params, param: str, mode: str) -> StripeObject:
    """The line's price: an existing one of the mode's type or, in payment mode, `price_data`."""
    price_data = optional_dict(entry, "price_data")
    if mode == "payment" and price_data is not None:
        return inline_price(state, price_data, f"{param}[price_data]")
    price_id = optional_str(entry, "price")
    if price_id is None:
        raise parameter_missing(f"{param}[price]")
    price = state.get(price_id, "price", f"{param}[price]")
    price_type, wrong_type = _PRICE_TYPES[mode]
    if price["type"] != price_type:
        raise invalid_param(f"{param}[price]", wrong_type)
    return price


def open_session(state: StripeState, session_id: str) -> StripeObject:
    """A session the customer can still pay, or Stripe's 400."""
    session = state.get(session_id, "checkout.session")
    if session["status"] != "open":
        raise invalid_state(f"This Checkout Session is no longer active ({session['status']}).")
    return session


def complete_checkout(
    state: StripeState,
    session_id: str,
    card_number: str,
    request: RequestInfo,
    *,
    authenticated: bool = True,
    email: str | None = None,
) -> StripeObject:
    """Pay an open session with a test card: subscription, invoice, payment, and their events
    (payment mode: see `checkout_payments`).

    A declined card (or failed 3-D Secure) raises Stripe's 402 and leaves the session open,
    as on Stripe's own page, where the customer may try another card.
    """
    session = open_session(state, session_id)
    card = card_by_number(card_number)
    if session["mode"] == "payment":
        return pay_session(state, session, card, request, authenticated=authenticated, email=email)
    extras = state.checkout_extras[session_id]
    if card.on_session == "decline":
        raise decline_error(card)
    if card.on_session == "authenticate" and not authenticated:
        raise authentication_failed()
    customer = _customer_for(state, session, email, request)
    payment_method = attach_card(state, card, customer, request)
    subscription = create_subscription(
        state,
        customer["id"],
        [(item["price"], item["quantity"]) for item in extras.line_items],
        metadata=extras.subscription_metadata,
        payment_method_id=payment_method["id"],
        trial_days=extras.trial_period_days,
        request=request,
    )
    before = snapshot(subscription)
    lines = first_invoice_lines(subscription)
    invoice = create_invoice(state, subscription, lines, "subscription_create", request)
    subscription["latest_invoice"] = invoice["id"]
    finalize_invoice(state, invoice, request)
    if invoice["status"] == "open":
        attempt_payment(state, invoice, payment_method["id"], "succeed", request)
        subscription["status"] = "active"
    emit_updated(state, subscription, before, request)
    session.update(
        status="complete",
        payment_status="paid" if invoice["amount_due"] else "no_payment_required",
        customer=customer["id"],
        customer_details=customer_details(customer.get("email"), customer.get("name")),
        subscription=subscription["id"],
        invoice=invoice["id"],
    )
    emit(state, "checkout.session.completed", session, request)
    return session


def _customer_for(
    state: StripeState, session: StripeObject, email: str | None, request: RequestInfo
) -> StripeObject:
    if session["customer"] is not None:
        return live_customer(state, session["customer"])
    return create_customer(state, {"email": session["customer_email"] or email}, request)


def expire_session(state: StripeState, session: StripeObject, request: RequestInfo) -> None:
    """Open → expired; emits `checkout.session.expired`."""
    session.update(status="expired", url=None)
    emit(state, "checkout.session.expired", session, request)


def success_redirect(session: StripeObject) -> str | None:
    """Where the customer goes after paying (`{CHECKOUT_SESSION_ID}` filled in)."""
    url: str | None = session["success_url"]
    return url.replace(SESSION_ID_PLACEHOLDER, session["id"]) if url else None


@router.post("/v1/checkout/sessions")
async def create(call: Call) -> JSONResponse:
    """Create a Checkout session (subscription or payment mode)."""
    return call.respond(create_session(call.state, call.params))


@router.get("/v1/checkout/sessions")
async def list_sessions(call: Call) -> JSONResponse:
    """Sessions newest first, optionally of one `customer`, `subscription` or `status`."""
    sessions = filter_by(
        call.state.of_type("checkout.session"), call.params, "customer", "subscription", "status"
    )
    return call.respond_list(sessions, "/v1/checkout/sessions")


@router.get("/v1/checkout/sessions/{session_id}")
async def retrieve(session_id: str, call: Call) -> JSONResponse:
    """One session (`expand[]=line_items` adds its items)."""
    session = call.state.get(session_id, "checkout.session")
    if "line_items" in optional_list(call.params, "expand"):
        items = call.state.checkout_extras[session_id].line_items
        url = f"/v1/checkout/sessions/{session_id}/line_items"
        listed = {"object": "list", "data": items, "has_more": False, "url": url}
        session = {**session, "line_items": listed}
    return call.respond(session)


@router.get("/v1/checkout/sessions/{session_id}/line_items")
async def list_line_items(session_id: str, call: Call) -> JSONResponse:
    """A session's line items."""
    call.state.get(session_id, "checkout.session")
    items = call.state.checkout_extras[session_id].line_items
    return call.respond_list(items, f"/v1/checkout/sessions/{session_id}/line_items")


@router.post("/v1/checkout/sessions/{session_id}/expire")
async def expire(session_id: str, call: Call) -> JSONResponse:
    """Expire an open session."""
    session = open_session(call.state, session_id)
    expire_session(call.state, session, call.request)
    return call.respond(session)
