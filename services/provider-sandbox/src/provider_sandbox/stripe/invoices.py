"""Invoices: subscription invoice lines, finalization and payment attempts."""

from __future__ import annotations

from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.payments import (
    PaymentOutcome,
    decline_intent,
    new_payment_intent,
    succeed_intent,
)
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState

DAY_SECONDS = 86_400
# Days before each automatic retry of a failed renewal (when the account has them on); the attempt
# after the last one is final.
RETRY_DELAYS_DAYS = (3, 5, 7)
MAX_PAYMENT_ATTEMPTS = len(RETRY_DELAYS_DAYS) + 1

_INTENT_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription renewal",
    "subscription_update": "Subscription update",
}


def subscription_line(
    subscription: StripeObject,
    item: StripeObject,
    *,
    amount: int,
    period: tuple[int, int],
    description: str,
    proration: bool = False,
) -> StripeObject:
    """One invoice line for a subscription item (not yet on an invoice)."""
    price = item["price"]
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": "brl",
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"start": period[0], "end": period[1]},
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "taxes": [],
    }


def create_invoice(
    state: StripeState,
    subscription: StripeObject,
    lines: list[StripeObject],
    billing_reason: str,
    request: RequestInfo,
) -> StripeObject:
    """A draft invoice for `subscription`; emits `invoice.created`."""
    invoice_id = new_id("in")
    for line in lines:
        line["invoice"] = invoice_id
        _bill_invoice_item(state, line, invoice_id)
    invoice = {"id": invoice_id, **_draft(state, subscription, lines, billing_reason)}
    invoice["lines"]["url"] = f"/v1/invoices/{invoice_id}/lines"
    state.add(invoice)
    emit(state, "invoice.created", invoice, request)
    return invoice


def preview_invoice(
    state: StripeState, subscription: StripeObject, lines: list[StripeObject], renews_at: int
) -> StripeObject:
    """The invoice a renewal at `renews_at` will make; it has no id, as it does not exist yet."""
    preview = _draft(state, subscription, lines, "upcoming")
    preview["lines"]["url"] = f"/v1/invoices/upcoming/lines?subscription={subscription['id']}"
    preview["next_payment_attempt"] = renews_at
    return preview


def _bill_invoice_item(state: StripeState, line: StripeObject, invoice_id: str) -> None:
    # A proration line stands for a pending invoice item, which now belongs to this invoice.
    item_id = line["parent"]["subscription_item_details"]["invoice_item"]
    if item_id is not None:
        state.objects[item_id]["invoice"] = invoice_id


def _draft(
    state: StripeState, subscription: StripeObject, lines: list[StripeObject], billing_reason: str
) -> StripeObject:
    customer = state.objects[subscription["customer"]]
    total = sum(line["amount"] for line in lines)
    now = state.now()
    return {
        "object": "invoice",
        "account_country": "BR",
        "account_name": "Finance Hub (sandbox)",
        "amount_due": max(total, 0),
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": max(total, 0),
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "brl",
        "customer": customer["id"],
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "last_finalization_error": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        },
        "payments": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": "/v1/invoice_payments",
        },
        "period_end": now,
        "period_start": now,
        "receipt_number": None,
        "starting_balance": 0,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_taxes": [],
    }


def subscription_of(invoice: StripeObject) -> str:
    """The id of the subscription an invoice bills."""
    subscription_id: str = invoice["parent"]["subscription_details"]["subscription"]
    return subscription_id


def finalize_invoice(state: StripeState, invoice: StripeObject, request: RequestInfo) -> None:
    """Draft → open with a number and hosted URLs; emits `invoice.finalized`.

    An invoice with nothing due is paid at once, as Stripe does.
    """
    customer = state.objects[invoice["customer"]]
    count = state.invoice_counts.get(customer["id"], 0) + 1
    state.invoice_counts[customer["id"]] = count
    now = state.now()
    invoice.update(
        number=f"{customer['invoice_prefix']}-{count:04d}",
        status="open",
        effective_at=now,
        hosted_invoice_url=f"{state.public_url}/invoice/{invoice['id']}",
        invoice_pdf=f"{state.public_url}/invoice/{invoice['id']}/pdf",
    )
    invoice["status_transitions"]["finalized_at"] = now
    emit(state, "invoice.finalized", invoice, request)
    if invoice["amount_due"] == 0:
        _mark_paid(state, invoice, request)


def void_invoice(state: StripeState, invoice: StripeObject, request: RequestInfo) -> None:
    """Open or draft → void; emits `invoice.voided`."""
    invoice.update(status="void", amount_remaining=0, next_payment_attempt=None)
    invoice["status_transitions"]["voided_at"] = state.now()
    emit(state, "invoice.voided", invoice, request)


def attempt_payment(
    state: StripeState,
    invoice: StripeObject,
    payment_method_id: str,
    outcome: PaymentOutcome,
    request: RequestInfo,
) -> PaymentOutcome:
    """Charge an open invoice with the payment method; `outcome` says how the bank answers."""
    intent = _intent_for(state, invoice, payment_method_id, request)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if outcome == "succeed":
        _succeed(state, invoice, intent, request)
    elif outcome == "fail":
        _fail(state, invoice, intent, request)
    else:
        _require_action(state, invoice, intent, request)
    return outcome


def _intent_for(
    state: StripeState, invoice: StripeObject, payment_method_id: str, request: RequestInfo
) -> StripeObject:
    # Stripe keeps one payment intent per invoice and retries with it.
    payments = invoice["payments"]["data"]
    if payments:
        intent = state.objects[payments[0]["payment"]["payment_intent"]]
        intent.update(payment_method=payment_method_id, last_payment_error=None, next_action=None)
        return intent
    description = _INTENT_DESCRIPTIONS.get(invoice["billing_reason"], "Subscription payment")
    intent = new_payment_intent(
        state, invoice["amount_due"], invoice["customer"], payment_method_id, description
    )
    payments.append(
        {
            "id": new_id("inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_due"],
            "created": state.now(),
            "currency": "brl",
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
            "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        }
    )
    emit(state, "payment_intent.created", intent, request)
    return intent


def _succeed(
    state: StripeState, invoice: StripeObject, intent: StripeObject, request: RequestInfo
) -> None:
    payment = invoice["payments"]["data"][0]
    payment.update(status="paid", amount_paid=intent["amount"])
    payment["status_transitions"]["paid_at"] = state.now()
    succeed_intent(state, intent, request)
    _mark_paid(state, invoice, request)


def _mark_paid(state: StripeState, invoice: StripeObject, request: RequestInfo) -> None:
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
    )
    invoice["status_transitions"]["paid_at"] = state.now()
    emit(state, "invoice.paid", invoice, request)
    emit(state, "invoice.payment_succeeded", invoice, request)


def _fail(
    state: StripeState, invoice: StripeObject, intent: StripeObject, request: RequestInfo
) -> None:
    invoice["next_payment_attempt"] = _next_retry(state, invoice)
    decline_intent(state, intent, request)
    emit(state, "invoice.payment_failed", invoice, request)


def _next_retry(state: StripeState, invoice: StripeObject) -> int | None:
    attempts: int = invoice["attempt_count"]
    if not state.automatic_retries or attempts >= MAX_PAYMENT_ATTEMPTS:
        return None
    return state.now() + RETRY_DELAYS_DAYS[attempts - 1] * DAY_SECONDS


def _require_action(
    state: StripeState, invoice: StripeObject, intent: StripeObject, request: RequestInfo
) -> None:
    intent.update(
        status="requires_action",
        next_action={
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": None, "url": invoice["hosted_invoice_url"]},
        },
    )
    # Stripe does not retry a payment that waits for the customer to authenticate.
    invoice["next_payment_attempt"] = None
    emit(state, "payment_intent.requires_action", intent, request)
    emit(state, "invoice.payment_action_required", invoice, request)
