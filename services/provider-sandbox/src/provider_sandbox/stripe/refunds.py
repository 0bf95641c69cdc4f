"""Refunds: `/v1/refunds`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import StripeApiError, invalid_param, invalid_state
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import (
    Params,
    merge_metadata,
    optional_dict,
    optional_int,
    optional_str,
)
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState, snapshot

router = APIRouter(dependencies=[Depends(require_api_key)])

REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})


def refund_charge(state: StripeState, params: Params, request: RequestInfo) -> StripeObject:
    """Refund all or part of a charge; emits `charge.refunded` then `refund.created`."""
    charge = _charge_to_refund(state, params)
    unrefunded = charge["amount"] - charge["amount_refunded"]
    if unrefunded <= 0:
        raise StripeApiError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    amount = optional_int(params, "amount") or unrefunded
    if not 0 < amount <= unrefunded:
        raise StripeApiError(
            400,
            f"Refund amount (R${amount / 100:.2f}) is greater than unrefunded amount on charge "
            f"(R${unrefunded / 100:.2f})",
            code="amount_too_large",
            param="amount",
        )
    reason = optional_str(params, "reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise invalid_param("reason", f"Invalid reason: {reason}")
    refund = state.add(
        {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": state.now(),
            "currency": charge["currency"],
            "metadata": merge_metadata({}, optional_dict(params, "metadata")),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "status": "succeeded",
        }
    )
    before = snapshot(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    emit(
        state,
        "charge.refunded",
        charge,
        request,
        {"amount_refunded": before["amount_refunded"], "refunded": before["refunded"]},
    )
    emit(state, "refund.created", refund, request)
    _settle_fraud_warnings(state, charge["id"], request)
    return refund


def _charge_to_refund(state: StripeState, params: Params) -> StripeObject:
    charge_id = optional_str(params, "charge")
    intent_id = optional_str(params, "payment_intent")
    if charge_id is None and intent_id is not None:
        intent = state.get(intent_id, "payment_intent", "payment_intent")
        charge_id = intent["latest_charge"]
    if charge_id is None:
        raise invalid_param("charge", "One of `charge` or `payment_intent` is required.")
    charge = state.get(charge_id, "charge", "charge")
    if charge["status"] != "succeeded":
        raise invalid_state(f"Charge {charge_id} did not succeed and cannot be refunded.", "charge")
    return charge


def _settle_fraud_warnings(state: StripeState, charge_id: str, request: RequestInfo) -> None:
    # A refunded charge can no longer be disputed, so its fraud warnings stop being actionable.
    for warning in state.of_type("radar.early_fraud_warning"):
        if warning["charge"] == charge_id and warning["actionable"]:
            warning["actionable"] = False
            emit(state, "radar.early_fraud_warning.updated", warning, request, {"actionable": True})


@router.post("/v1/refunds")
async def create(call: Call) -> JSONResponse:
    """Refund a charge (by `charge` or `payment_intent`)."""
    return call.respond(refund_charge(call.state, call.params, call.request))


@router.get("/v1/refunds")
async def list_refunds(call: Call) -> JSONResponse:
    """Refunds newest first, optionally of one `charge` or `payment_intent`."""
    refunds = filter_by(call.state.of_type("refund"), call.params, "charge", "payment_intent")
    return call.respond_list(refunds, "/v1/refunds")


@router.get("/v1/refunds/{refund_id}")
async def retrieve(refund_id: str, call: Call) -> JSONResponse:
    """One refund."""
    return call.respond(call.state.get(refund_id, "refund"))
