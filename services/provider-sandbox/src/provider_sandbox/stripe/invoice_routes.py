"""`/v1/invoices`: list, read, pay now, void."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import StripeApiError, invalid_state
from provider_sandbox.stripe.forms import optional_str
from provider_sandbox.stripe.invoices import subscription_of, void_invoice
from provider_sandbox.stripe.payments import card_of, decline_error
from provider_sandbox.stripe.subscriptions import charge_invoice

router = APIRouter(dependencies=[Depends(require_api_key)])


@router.get("/v1/invoices")
async def list_invoices(call: Call) -> JSONResponse:
    """Invoices newest first, optionally of one `customer`, `subscription` or `status`."""
    invoices = filter_by(call.state.of_type("invoice"), call.params, "customer", "status")
    subscription = optional_str(call.params, "subscription")
    if subscription is not None:
        invoices = [each for each in invoices if subscription_of(each) == subscription]
    return call.respond_list(invoices, "/v1/invoices")


@router.get("/v1/invoices/{invoice_id}")
async def retrieve(invoice_id: str, call: Call) -> JSONResponse:
    """One invoice."""
    return call.respond(call.state.get(invoice_id, "invoice"))


@router.get("/v1/invoices/{invoice_id}/lines")
async def list_lines(invoice_id: str, call: Call) -> JSONResponse:
    """An invoice's lines."""
    invoice = call.state.get(invoice_id, "invoice")
    return call.respond_list(invoice["lines"]["data"], f"/v1/invoices/{invoice_id}/lines")


@router.post("/v1/invoices/{invoice_id}/pay")
async def pay(invoice_id: str, call: Call) -> JSONResponse:
    """Charge an open invoice now (off session) with `payment_method` or the subscription's card."""
    state = call.state
    invoice = state.get(invoice_id, "invoice")
    if invoice["status"] != "open":
        raise invalid_state(
            "Invoice is already paid."
            if invoice["status"] == "paid"
            else f"This invoice is {invoice['status']} and cannot be paid."
        )
    subscription = state.objects[subscription_of(invoice)]
    method = optional_str(call.params, "payment_method") or subscription["default_payment_method"]
    state.get(method, "payment_method", "payment_method")
    card = card_of(state, method)
    outcome = charge_invoice(state, subscription, invoice, card.off_session, call.request, method)
    if outcome == "fail":
        raise decline_error(card)
    if outcome == "requires_action":
        raise StripeApiError(
            402,
            "This payment requires additional user action before it can be completed.",
            error_type="card_error",
            code="invoice_payment_intent_requires_action",
        )
    return call.respond(invoice)


@router.post("/v1/invoices/{invoice_id}/void")
async def void(invoice_id: str, call: Call) -> JSONResponse:
    """Void an open invoice."""
    invoice = call.state.get(invoice_id, "invoice")
    if invoice["status"] != "open":
        raise invalid_state(f"You can only void an open invoice; this one is {invoice['status']}.")
    void_invoice(call.state, invoice, call.request)
    return call.respond(invoice)
