"""Disputes and early fraud warnings: `/v1/disputes`, `/v1/radar/early_fraud_warnings`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import invalid_state
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import merge_metadata, optional_bool, optional_dict
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.invoices import DAY_SECONDS
from provider_sandbox.stripe.state import (
    RequestInfo,
    StripeObject,
    StripeState,
    changed_attributes,
    snapshot,
)

router = APIRouter(dependencies=[Depends(require_api_key)])

EVIDENCE_DAYS = 7
CLOSED_STATUSES = frozenset({"won", "lost", "warning_closed"})
_EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "product_description",
    "receipt",
    "refund_policy",
    "service_date",
    "service_documentation",
    "uncategorized_file",
    "uncategorized_text",
)


def succeeded_charge(state: StripeState, charge_id: str) -> StripeObject:
    """A charge that went through, or Stripe's 404/400."""
    charge = state.get(charge_id, "charge", "charge")
    if charge["status"] != "succeeded":
        raise invalid_state(f"Charge {charge_id} did not succeed.", "charge")
    return charge


def open_dispute(
    state: StripeState, charge: StripeObject, reason: str, amount: int | None, request: RequestInfo
) -> StripeObject:
    """The cardholder disputes a charge: `charge.dispute.created`, then funds are withdrawn."""
    now = state.now()
    dispute = state.add(
        {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": amount or charge["amount"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "evidence": dict.fromkeys(_EVIDENCE_FIELDS),
            "evidence_details": {
                "due_by": now + EVIDENCE_DAYS * DAY_SECONDS,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "needs_response",
        }
    )
    charge["disputed"] = True
    emit(state, "charge.dispute.created", dispute, request)
    dispute["balance_transactions"] = [{"id": new_id("txn"), "amount": -dispute["amount"]}]
    emit(state, "charge.dispute.funds_withdrawn", dispute, request)
    return dispute


def close_dispute(
    state: StripeState, dispute: StripeObject, status: str, request: RequestInfo
) -> StripeObject:
    """The bank decides: `charge.dispute.closed`, and funds come back when the merchant won."""
    if dispute["status"] in CLOSED_STATUSES:
        raise invalid_state(f"This dispute is already closed ({dispute['status']}).")
    previous = {"status": dispute["status"]}
    dispute["status"] = status
    emit(state, "charge.dispute.closed", dispute, request, previous)
    if status == "won":
        dispute["balance_transactions"].append({"id": new_id("txn"), "amount": dispute["amount"]})
        emit(state, "charge.dispute.funds_reinstated", dispute, request)
    return dispute


def raise_fraud_warning(
    state: StripeState, charge: StripeObject, fraud_type: str, request: RequestInfo
) -> StripeObject:
    """The issuer reports fraud on a charge; emits `radar.early_fraud_warning.created`."""
    warning = state.add(
        {
            "id": new_id("issfr"),
            "object": "radar.early_fraud_warning",
            "actionable": not charge["refunded"] and not charge["disputed"],
            "charge": charge["id"],
            "created": state.now(),
            "fraud_type": fraud_type,
            "livemode": False,
            "payment_intent": charge["payment_intent"],
        }
    )
    emit(state, "radar.early_fraud_warning.created", warning, request)
    return warning


@router.get("/v1/disputes")
async def list_disputes(call: Call) -> JSONResponse:
    """Disputes newest first, optionally of one `charge` or `payment_intent`."""
    disputes = filter_by(call.state.of_type("dispute"), call.params, "charge", "payment_intent")
    return call.respond_list(disputes, "/v1/disputes")


@router.get("/v1/disputes/{dispute_id}")
async def retrieve_dispute(dispute_id: str, call: Call) -> JSONResponse:
    """One dispute."""
    return call.respond(call.state.get(dispute_id, "dispute"))


@router.post("/v1/disputes/{dispute_id}")
async def update_dispute(dispute_id: str, call: Call) -> JSONResponse:
    """Add evidence (submitted unless `submit=false`); emits `charge.dispute.updated`."""
    state = call.state
    dispute = state.get(dispute_id, "dispute")
    if dispute["status"] in CLOSED_STATUSES:
        raise invalid_state(f"This dispute is already closed ({dispute['status']}).")
    before = snapshot(dispute)
    evidence = optional_dict(call.params, "evidence") or {}
    dispute["evidence"].update(
        {key: value for key, value in evidence.items() if key in _EVIDENCE_FIELDS}
    )
    dispute["metadata"] = merge_metadata(
        dispute["metadata"], optional_dict(call.params, "metadata")
    )
    details = dispute["evidence_details"]
    details["has_evidence"] = any(value for value in dispute["evidence"].values())
    if optional_bool(call.params, "submit") is not False and evidence:
        details["submission_count"] += 1
        dispute["status"] = "under_review"
    previous = changed_attributes(before, dispute)
    if previous:
        emit(state, "charge.dispute.updated", dispute, call.request, previous)
    return call.respond(dispute)


@router.post("/v1/disputes/{dispute_id}/close")
async def accept_dispute(dispute_id: str, call: Call) -> JSONResponse:
    """Accept the dispute (the merchant gives up): status `lost`."""
    dispute = call.state.get(dispute_id, "dispute")
    return call.respond(close_dispute(call.state, dispute, "lost", call.request))


@router.get("/v1/radar/early_fraud_warnings")
async def list_fraud_warnings(call: Call) -> JSONResponse:
    """Early fraud warnings newest first, optionally of one `charge`."""
    warnings = filter_by(call.state.of_type("radar.early_fraud_warning"), call.params, "charge")
    return call.respond_list(warnings, "/v1/radar/early_fraud_warnings")


@router.get("/v1/radar/early_fraud_warnings/{warning_id}")
async def retrieve_fraud_warning(warning_id: str, call: Call) -> JSONResponse:
    """One early fraud warning."""
    return call.respond(call.state.get(warning_id, "radar.early_fraud_warning"))
