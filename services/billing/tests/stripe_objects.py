"""Stripe-shaped JSON (API 2026-10-28.endive) for tests: objects, events and bus envelopes.

Shapes follow the fact sheet (shared/reference/providers.md): period dates on subscription
items, an invoice's subscription under parent.subscription_details, invoice.payments instead of
invoice.payment_intent, the event's object under data.object.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from finhub_shared.events import EventEnvelope

API_VERSION = "2026-10-28.endive"
DAY = 86_400
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


def price(lookup_key: str) -> dict[str, Any]:
    interval = "year" if lookup_key.endswith("_yearly") else "month"
    return {
        "id": f"price_{lookup_key}",
        "object": "price",
        "active": True,
        "currency": "brl",
        "lookup_key": lookup_key,
        "product": f"prod_{lookup_key.split('_')[0]}",
        "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring",
        "unit_amount": 7900,
    }


def customer(
    customer_id: str,
    email: str | None = None,
    name: str | None = None,
    default_payment_method: str | None = None,
) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "email": email,
        "name": name,
        "invoice_settings": {"default_payment_method": default_payment_method},
        "metadata": {},
        "livemode": False,
    }


def subscription(
    subscription_id: str,
    customer_id: str,
    *,
    status: str = "active",
    lookup_key: str = "professional_monthly",
    period_start: int,
    period_end: int,
    metadata: dict[str, str] | None = None,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    item_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "metadata": metadata or {},
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": period_end if cancel_at_period_end else None,
        "canceled_at": canceled_at,
        "ended_at": canceled_at if status == "canceled" else None,
        "trial_end": None,
        "latest_invoice": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": item_id or f"si_{subscription_id}",
                    "object": "subscription_item",
                    "price": price(lookup_key),
                    "quantity": 1,
                    "current_period_start": period_start,
                    "current_period_end": period_end,
                }
            ],
        },
    }


def checkout_session(
    session_id: str,
    customer_id: str,
    subscription_id: str | None,
    *,
    metadata: dict[str, str],
    payment_status: str = "paid",
    status: str = "complete",
    invoice_id: str | None = None,
    amount_total: int = 7900,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": status,
        "payment_status": payment_status,
        "customer": customer_id,
        "subscription": subscription_id,
        "invoice": invoice_id,
        "amount_total": amount_total,
        "currency": "brl",
        "client_reference_id": metadata.get("company_id"),
        "metadata": metadata,
        "url": None,
    }


def invoice(
    invoice_id: str,
    customer_id: str,
    subscription_id: str,
    *,
    status: str,
    period_start: int,
    period_end: int,
    amount: int = 7900,
    billing_reason: str = "subscription_cycle",
    metadata: dict[str, str] | None = None,
    payment_intent_id: str | None = None,
    attempt_count: int = 1,
    created: int | None = None,
) -> dict[str, Any]:
    paid = status == "paid"
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer_id,
        "status": status,
        "number": f"FH-{invoice_id[-6:]}",
        "billing_reason": billing_reason,
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "currency": "brl",
        "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
        "invoice_pdf": f"https://invoice.stripe.test/i/{invoice_id}/pdf",
        "attempt_count": attempt_count,
        "next_payment_attempt": None,
        "created": created or period_start,
        "period_start": period_start,
        "period_end": period_start,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "subscription": subscription_id,
                "metadata": metadata or {},
            },
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_{invoice_id}",
                    "object": "line_item",
                    "amount": amount,
                    "period": {"start": period_start, "end": period_end},
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": subscription_id,
                            "subscription_item": f"si_{subscription_id}",
                        },
                    },
                }
            ],
        },
        "payments": {
            "object": "list",
            "data": [
                {
                    "object": "invoice_payment",
                    "status": "paid" if paid else "open",
                    "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
                }
            ]
            if payment_intent_id
            else [],
        },
    }


def payment_intent(
    intent_id: str,
    customer_id: str,
    *,
    status: str,
    amount: int = 7900,
    error_message: str | None = None,
) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "customer": customer_id,
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "brl",
        "status": status,
        "last_payment_error": {"code": "card_declined", "message": error_message}
        if error_message
        else None,
        "next_action": {"type": "use_stripe_sdk"} if status == "requires_action" else None,
    }


def charge(
    charge_id: str,
    customer_id: str,
    intent_id: str,
    *,
    status: str = "succeeded",
    amount: int = 7900,
    amount_refunded: int = 0,
    failure_message: str | None = None,
) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "customer": customer_id,
        "payment_intent": intent_id,
        "amount": amount,
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= amount,
        "currency": "brl",
        "status": status,
        "failure_message": failure_message,
        "payment_method_details": {
            "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
        },
        "created": 1_790_000_000,
    }


def refund(
    refund_id: str, charge_id: str, intent_id: str, *, amount: int, status: str
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "charge": charge_id,
        "payment_intent": intent_id,
        "amount": amount,
        "currency": "brl",
        "status": status,
        "reason": "requested_by_customer",
    }


def dispute(
    dispute_id: str,
    charge_id: str,
    intent_id: str,
    *,
    status: str = "needs_response",
    amount: int = 7900,
    reason: str = "fraudulent",
    due_by: int | None = 1_791_000_000,
    created: int = 1_790_000_000,
) -> dict[str, Any]:
    return {
        "id": dispute_id,
        "object": "dispute",
        "charge": charge_id,
        "payment_intent": intent_id,
        "amount": amount,
        "currency": "brl",
        "reason": reason,
        "status": status,
        "evidence_details": {"due_by": due_by, "has_evidence": False, "submission_count": 0},
        "is_charge_refundable": False,
        "created": created,
    }


def early_fraud_warning(
    warning_id: str, charge_id: str, intent_id: str, *, actionable: bool = True
) -> dict[str, Any]:
    return {
        "id": warning_id,
        "object": "radar.early_fraud_warning",
        "charge": charge_id,
        "payment_intent": intent_id,
        "fraud_type": "made_with_stolen_card",
        "actionable": actionable,
        "created": 1_790_000_000,
        "livemode": False,
    }


def payment_method(
    method_id: str,
    customer_id: str | None,
    *,
    brand: str = "visa",
    last4: str = "4242",
    exp_month: int = 12,
    exp_year: int = 2030,
) -> dict[str, Any]:
    return {
        "id": method_id,
        "object": "payment_method",
        "customer": customer_id,
        "type": "card",
        "card": {
            "brand": brand,
            "last4": last4,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "funding": "credit",
            "country": "BR",
        },
    }


def event(
    event_type: str,
    data_object: dict[str, Any],
    *,
    created: int,
    previous_attributes: dict[str, Any] | None = None,
    request_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A snapshot event as Stripe sends it."""
    data: dict[str, Any] = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": None},
        "type": event_type,
    }


def envelope(stripe_event: dict[str, Any]) -> EventEnvelope:
    """The event as the gateway publishes it: the raw Stripe JSON in `data`."""
    created = datetime.fromtimestamp(stripe_event["created"], UTC)
    return EventEnvelope(
        id=stripe_event["id"],
        source="stripe",
        type=stripe_event["type"],
        occurred_at=created,
        received_at=created,
        data=stripe_event,
    )
