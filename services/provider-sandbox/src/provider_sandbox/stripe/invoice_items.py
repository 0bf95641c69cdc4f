"""Invoice items: the prorations a plan change leaves for an invoice, and `/v1/invoiceitems`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import optional_bool
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState

router = APIRouter(dependencies=[Depends(require_api_key)])


def create_proration_items(
    state: StripeState, subscription: StripeObject, lines: list[StripeObject], request: RequestInfo
) -> None:
    """An invoice item behind each proration line; emits `invoiceitem.created` for each."""
    for line in lines:
        details = line["parent"]["subscription_item_details"]
        if details["proration"]:
            item = state.add(_invoice_item(state, subscription, line))
            details["invoice_item"] = item["id"]
            emit(state, "invoiceitem.created", item, request)


def _invoice_item(
    state: StripeState, subscription: StripeObject, line: StripeObject
) -> StripeObject:
    return {
        "id": new_id("ii"),
        "object": "invoiceitem",
        "amount": line["amount"],
        "currency": line["currency"],
        "customer": subscription["customer"],
        "date": state.now(),
        "description": line["description"],
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": line["amount"],
        "parent": {
            "subscription_details": {
                "subscription": subscription["id"],
                "subscription_item": line["parent"]["subscription_item_details"][
                    "subscription_item"
                ],
            },
            "type": "subscription_details",
        },
        "period": dict(line["period"]),
        "pricing": dict(line["pricing"]),
        "proration": True,
        "quantity": line["quantity"],
        "tax_rates": [],
        "test_clock": None,
    }


@router.get("/v1/invoiceitems")
async def list_invoice_items(call: Call) -> JSONResponse:
    """Invoice items newest first, of one `customer` or `invoice`; `pending=true` not yet billed."""
    items = filter_by(call.state.of_type("invoiceitem"), call.params, "customer", "invoice")
    pending = optional_bool(call.params, "pending")
    if pending is not None:
        items = [each for each in items if (each["invoice"] is None) is pending]
    return call.respond_list(items, "/v1/invoiceitems")


@router.get("/v1/invoiceitems/{invoice_item_id}")
async def retrieve_invoice_item(invoice_item_id: str, call: Call) -> JSONResponse:
    """One invoice item."""
    return call.respond(call.state.get(invoice_item_id, "invoiceitem"))
