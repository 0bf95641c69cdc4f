"""`/v1/subscriptions`: read, update (plan, cancel, pause collection), cancel, pause, resume."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import invalid_param, invalid_state
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import (
    Params,
    merge_metadata,
    optional_bool,
    optional_dict,
    optional_int,
    optional_list,
    optional_str,
)
from provider_sandbox.stripe.invoice_items import create_proration_items
from provider_sandbox.stripe.invoices import create_invoice
from provider_sandbox.stripe.plan_changes import change_items
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState, snapshot
from provider_sandbox.stripe.subscriptions import (
    ENDED_STATUSES,
    cancel_now,
    collect_new_invoice,
    emit_updated,
    first_invoice_lines,
    items_of,
    period_after,
    period_end,
)

router = APIRouter(dependencies=[Depends(require_api_key)])

PAUSE_BEHAVIORS = frozenset({"keep_as_draft", "mark_uncollectible", "void"})


def live_subscription(state: StripeState, subscription_id: str) -> StripeObject:
    """A subscription that has not ended, or Stripe's 400 for a canceled one."""
    subscription = state.get(subscription_id, "subscription")
    if subscription["status"] in ENDED_STATUSES:
        raise invalid_state(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    return subscription


def update_subscription(
    state: StripeState, subscription: StripeObject, params: Params, request: RequestInfo
) -> StripeObject:
    """Apply an update. Events: `invoiceitem.created` per proration, `invoice.created` (if billed
    now), `customer.subscription.updated`, then that invoice's finalization and payment."""
    before = snapshot(subscription)
    subscription["metadata"] = merge_metadata(
        subscription["metadata"], optional_dict(params, "metadata")
    )
    _apply_cancellation(state, subscription, params)
    _apply_pause_collection(subscription, params)
    if (method := optional_str(params, "default_payment_method")) is not None:
        state.get(method, "payment_method", "default_payment_method")
        subscription["default_payment_method"] = method
    behavior = optional_str(params, "proration_behavior") or "create_prorations"
    changes = change_items(state, subscription, optional_list(params, "items"), behavior)
    create_proration_items(state, subscription, changes.lines, request)
    invoice = None
    if changes.invoice_now and changes.lines:
        invoice = create_invoice(state, subscription, changes.lines, "subscription_update", request)
        subscription["latest_invoice"] = invoice["id"]
    elif changes.lines:
        state.pending_invoice_lines.setdefault(subscription["id"], []).extend(changes.lines)
    emit_updated(state, subscription, before, request)
    if invoice is not None:
        collect_new_invoice(state, subscription, invoice, None, request)
    return subscription


def _apply_cancellation(state: StripeState, subscription: StripeObject, params: Params) -> None:
    details = optional_dict(params, "cancellation_details") or {}
    if details:
        subscription["cancellation_details"] = {
            **subscription["cancellation_details"],
            **{
                key: value or None
                for key, value in details.items()
                if key in ("comment", "feedback")
            },
        }
    at_period_end = optional_bool(params, "cancel_at_period_end")
    cancel_at = optional_int(params, "cancel_at")
    if at_period_end is None and cancel_at is None:
        return
    if at_period_end or cancel_at is not None:
        reason = "cancellation_requested"
        subscription.update(
            cancel_at_period_end=bool(at_period_end),
            cancel_at=cancel_at or period_end(subscription),
            canceled_at=state.now(),
        )
    else:
        reason = None
        subscription.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
    subscription["cancellation_details"] = {
        **subscription["cancellation_details"],
        "reason": reason,
    }


def _apply_pause_collection(subscription: StripeObject, params: Params) -> None:
    pause = optional_dict(params, "pause_collection")
    if pause is None:
        return
    if not pause:
        subscription["pause_collection"] = None
        return
    behavior = optional_str(pause, "behavior")
    if behavior not in PAUSE_BEHAVIORS:
        raise invalid_param("pause_collection[behavior]", f"Invalid behavior: {behavior}")
    subscription["pause_collection"] = {
        "behavior": behavior,
        "resumes_at": optional_int(pause, "resumes_at"),
    }


def pause_subscription(
    state: StripeState, subscription: StripeObject, request: RequestInfo
) -> StripeObject:
    """active → paused: no periods or invoices until resumed."""
    if subscription["status"] not in ("active", "trialing", "past_due"):
        raise invalid_state(f"A {subscription['status']} subscription cannot be paused.")
    before = snapshot(subscription)
    subscription["status"] = "paused"
    emit(state, "customer.subscription.paused", subscription, request)
    emit_updated(state, subscription, before, request)
    return subscription


def resume_subscription(
    state: StripeState, subscription: StripeObject, params: Params, request: RequestInfo
) -> StripeObject:
    """paused → active: a new period starts now (Stripe's default) and is invoiced at once."""
    if subscription["status"] != "paused":
        raise invalid_state("Only a paused subscription can be resumed.", param="subscription")
    anchor = optional_str(params, "billing_cycle_anchor") or "now"
    if anchor not in ("now", "unchanged"):
        raise invalid_param("billing_cycle_anchor", f"Invalid billing_cycle_anchor: {anchor}")
    before = snapshot(subscription)
    subscription["status"] = "active"
    invoice = None
    if anchor == "now":
        now = state.now()
        for item in items_of(subscription):
            item.update(
                current_period_start=now, current_period_end=period_after(now, item["price"])
            )
        subscription["billing_cycle_anchor"] = now
        invoice = create_invoice(
            state, subscription, first_invoice_lines(subscription), "subscription_cycle", request
        )
        subscription["latest_invoice"] = invoice["id"]
    emit(state, "customer.subscription.resumed", subscription, request)
    emit_updated(state, subscription, before, request)
    if invoice is not None:
        collect_new_invoice(state, subscription, invoice, None, request)
    return subscription


@router.get("/v1/subscriptions")
async def list_subscriptions(call: Call) -> JSONResponse:
    """Subscriptions newest first; by default not the canceled ones (`status=all` shows them)."""
    subscriptions = filter_by(call.state.of_type("subscription"), call.params, "customer")
    status = optional_str(call.params, "status")
    if status is None:
        subscriptions = [each for each in subscriptions if each["status"] != "canceled"]
    elif status != "all":
        subscriptions = [each for each in subscriptions if each["status"] == status]
    if (price := optional_str(call.params, "price")) is not None:
        subscriptions = [
            each for each in subscriptions if any(i["price"]["id"] == price for i in items_of(each))
        ]
    return call.respond_list(subscriptions, "/v1/subscriptions")


@router.get("/v1/subscriptions/{subscription_id}")
async def retrieve(subscription_id: str, call: Call) -> JSONResponse:
    """One subscription."""
    return call.respond(call.state.get(subscription_id, "subscription"))


@router.post("/v1/subscriptions/{subscription_id}")
async def update(subscription_id: str, call: Call) -> JSONResponse:
    """Update a subscription."""
    subscription = live_subscription(call.state, subscription_id)
    return call.respond(update_subscription(call.state, subscription, call.params, call.request))


@router.delete("/v1/subscriptions/{subscription_id}")
async def cancel(subscription_id: str, call: Call) -> JSONResponse:
    """Cancel at once; emits `customer.subscription.deleted`."""
    subscription = live_subscription(call.state, subscription_id)
    details = optional_dict(call.params, "cancellation_details") or {}
    subscription["cancellation_details"].update(
        {key: value or None for key, value in details.items() if key in ("comment", "feedback")}
    )
    cancel_now(call.state, subscription, call.request, reason="cancellation_requested")
    return call.respond(subscription)


@router.post("/v1/subscriptions/{subscription_id}/pause")
async def pause(subscription_id: str, call: Call) -> JSONResponse:
    """Pause a subscription (status `paused`)."""
    subscription = live_subscription(call.state, subscription_id)
    return call.respond(pause_subscription(call.state, subscription, call.request))


@router.post("/v1/subscriptions/{subscription_id}/resume")
async def resume(subscription_id: str, call: Call) -> JSONResponse:
    """Resume a paused subscription."""
    subscription = live_subscription(call.state, subscription_id)
    return call.respond(resume_subscription(call.state, subscription, call.params, call.request))
