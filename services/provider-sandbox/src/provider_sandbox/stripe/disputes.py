"""Disputes and early fraud warnings: `/v1/disputes`, `/v1/radar/early_fraud_warnings`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import invalid_param, invalid_state, resource_missing
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
# Stripe's evidence fields: files (the id of a `dispute_evidence` upload) and texts, each text
# with its longest length; all texts together may hold at most EVIDENCE_TEXT_LIMIT characters.
_FILE_FIELDS = frozenset(
    {
        "cancellation_policy",
        "customer_communication",
        "customer_signature",
        "duplicate_charge_documentation",
        "receipt",
        "refund_policy",
        "service_documentation",
        "shipping_documentation",
        "uncategorized_file",
    }
)
_LONG_TEXT, _SHORT_TEXT = 20_000, 5_000
_TEXT_FIELDS = {
    "access_activity_log": _LONG_TEXT,
    "billing_address": _SHORT_TEXT,
    "cancellation_policy_disclosure": _LONG_TEXT,
    "cancellation_rebuttal": _LONG_TEXT,
    "customer_email_address": _SHORT_TEXT,
    "customer_name": _SHORT_TEXT,
    "customer_purchase_ip": _SHORT_TEXT,
    "duplicate_charge_explanation": _LONG_TEXT,
    "duplicate_charge_id": _SHORT_TEXT,
    "product_description": _LONG_TEXT,
    "refund_policy_disclosure": _LONG_TEXT,
    "refund_refusal_explanation": _LONG_TEXT,
    "service_date": _SHORT_TEXT,
    "shipping_address": _SHORT_TEXT,
    "shipping_carrier": _SHORT_TEXT,
    "shipping_date": _SHORT_TEXT,
    "shipping_tracking_number": _SHORT_TEXT,
    "uncategorized_text": _LONG_TEXT,
}
_EVIDENCE_FIELDS = tuple(sorted(_FILE_FIELDS | _TEXT_FIELDS.keys()))
EVIDENCE_TEXT_LIMIT = 150_000
# A dispute takes evidence only while it waits for the merchant's answer.
_OPEN_STATUSES = {
    "needs_response": "under_review",
    "warning_needs_response": "warning_under_review",
}


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
    """Stage evidence (`submit=false`) or submit it (the default); emits `charge.dispute.updated`.

    Stripe refuses evidence once it was submitted, after `evidence_details.due_by`, and for a
    dispute no longer waiting for an answer.
    """
    state = call.state
    dispute = state.get(dispute_id, "dispute")
    if dispute["status"] in CLOSED_STATUSES:
        raise invalid_state(f"This dispute is already closed ({dispute['status']}).")
    before = snapshot(dispute)
    evidence = optional_dict(call.params, "evidence")
    submit = optional_bool(call.params, "submit")
    # Evidence sent is submitted unless `submit=false`; `submit=true` alone submits what is staged.
    submitting = submit is True or (submit is None and evidence is not None)
    if evidence is not None or submitting:
        _check_evidence_open(state, dispute)
    if evidence is not None:
        dispute["evidence"].update(_valid_evidence(state, dispute, evidence))
    dispute["metadata"] = merge_metadata(
        dispute["metadata"], optional_dict(call.params, "metadata")
    )
    details = dispute["evidence_details"]
    details["has_evidence"] = any(value for value in dispute["evidence"].values())
    if submitting:
        details["submission_count"] += 1
        dispute["status"] = _OPEN_STATUSES[dispute["status"]]
    previous = changed_attributes(before, dispute)
    if previous:
        emit(state, "charge.dispute.updated", dispute, call.request, previous)
    return call.respond(dispute)


def _check_evidence_open(state: StripeState, dispute: StripeObject) -> None:
    if dispute["status"] not in _OPEN_STATUSES:
        raise invalid_state(
            f"This dispute's evidence was already submitted (status {dispute['status']}); "
            "it can no longer be updated.",
            "evidence",
        )
    due_by = dispute["evidence_details"]["due_by"]
    if due_by is not None and state.now() > due_by:
        raise invalid_state(
            "The deadline for responding to this dispute has passed; evidence can no longer be "
            "submitted.",
            "evidence",
        )


def _valid_evidence(
    state: StripeState, dispute: StripeObject, evidence: dict[str, Any]
) -> dict[str, str | None]:
    """The evidence as sent, checked the way Stripe checks it (names, lengths, file ids)."""
    cleaned: dict[str, str | None] = {}
    for name, value in evidence.items():
        param = f"evidence[{name}]"
        if name not in _EVIDENCE_FIELDS:
            raise invalid_param(param, f"Received unknown parameter: {param}")
        if not isinstance(value, str):
            raise invalid_param(param, f"Invalid string: {param} must be a string.")
        if name in _FILE_FIELDS and value:
            upload = state.objects.get(value)
            if upload is None or upload["object"] != "file":
                raise resource_missing(value, param)
            if upload["purpose"] != "dispute_evidence":
                raise invalid_param(
                    param, f"File {value} was not uploaded with purpose dispute_evidence."
                )
        elif name in _TEXT_FIELDS and len(value) > _TEXT_FIELDS[name]:
            raise invalid_param(
                param, f"Invalid {param}: must be at most {_TEXT_FIELDS[name]} characters."
            )
        cleaned[name] = value or None
    texts = {**dispute["evidence"], **cleaned}
    if sum(len(texts[name] or "") for name in _TEXT_FIELDS) > EVIDENCE_TEXT_LIMIT:
        raise invalid_param(
            "evidence",
            f"The combined character count of all evidence fields is limited to "
            f"{EVIDENCE_TEXT_LIMIT:,}.",
        )
    return cleaned


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
