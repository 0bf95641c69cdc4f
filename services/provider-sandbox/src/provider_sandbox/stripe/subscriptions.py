"""Subscriptions: creation, status changes, renewal and cancellation."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, datetime

from provider_sandbox.stripe.errors import invalid_state
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.invoices import (
    DAY_SECONDS,
    MAX_PAYMENT_ATTEMPTS,
    attempt_payment,
    create_invoice,
    finalize_invoice,
    subscription_line,
    subscription_of,
    void_invoice,
)
from provider_sandbox.stripe.payments import PaymentOutcome, attach_card, card_by_number, card_of
from provider_sandbox.stripe.state import (
    RequestInfo,
    StripeObject,
    StripeState,
    changed_attributes,
    snapshot,
)

ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
TRIAL_WARNING_SECONDS = 3 * DAY_SECONDS
_MONTHS = {"month": 1, "year": 12}


def add_months(timestamp: int, months: int) -> int:
    """The same day and time `months` later (clamped to the month's last day, as Stripe does)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    year, month_index = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, monthrange(year, month_index + 1)[1])
    return int(moment.replace(year=year, month=month_index + 1, day=day).timestamp())


def period_after(start: int, price: StripeObject) -> int:
    """Where a billing period of `price` that starts at `start` ends."""
    recurring = price["recurring"]
    return add_months(start, _MONTHS[recurring["interval"]] * recurring["interval_count"])


def new_item(
    state: StripeState,
    subscription_id: str,
    price: StripeObject,
    quantity: int,
    period: tuple[int, int],
) -> StripeObject:
    """A subscription item; its billing period lives on it (API 2025-03-31 onwards)."""
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "created": state.now(),
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": {},
        "price": snapshot(price),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def create_subscription(
    state: StripeState,
    customer_id: str,
    prices: list[tuple[StripeObject, int]],
    *,
    metadata: dict[str, str],
    payment_method_id: str,
    trial_days: int | None,
    request: RequestInfo,
) -> StripeObject:
    """A subscription, `trialing` or `incomplete` until its first invoice is paid."""
    subscription_id = new_id("sub")
    now = state.now()
    trial_end = now + trial_days * DAY_SECONDS if trial_days else None
    items = [
        new_item(
            state, subscription_id, price, quantity, (now, trial_end or period_after(now, price))
        )
        for price, quantity in prices
    ]
    subscription: StripeObject = {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": trial_end or now,
        "billing_cycle_anchor_config": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "brl",
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": payment_method_id,
        "default_source": None,
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": dict(metadata),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": "trialing" if trial_end else "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": now if trial_end else None,
    }
    state.add(subscription)
    emit(state, "customer.subscription.created", subscription, request)
    return subscription


def items_of(subscription: StripeObject) -> list[StripeObject]:
    """The subscription's items."""
    items: list[StripeObject] = subscription["items"]["data"]
    return items


def period_end(subscription: StripeObject) -> int:
    """When the current billing period ends (the latest end among the items)."""
    end: int = max(item["current_period_end"] for item in items_of(subscription))
    return end


def change(
    state: StripeState,
    subscription: StripeObject,
    request: RequestInfo,
    **changes: object,
) -> None:
    """Apply top-level changes; emits `customer.subscription.updated` with what they replaced."""
    before = snapshot(subscription)
    subscription.update(changes)
    emit_updated(state, subscription, before, request)


def emit_updated(
    state: StripeState, subscription: StripeObject, before: StripeObject, request: RequestInfo
) -> None:
    """Emit `customer.subscription.updated` if anything changed since `before`."""
    previous = changed_attributes(before, subscription)
    if previous:
        emit(state, "customer.subscription.updated", subscription, request, previous)


def charge_invoice(
    state: StripeState,
    subscription: StripeObject,
    invoice: StripeObject,
    outcome: PaymentOutcome,
    request: RequestInfo,
    payment_method_id: str | None = None,
) -> PaymentOutcome:
    """Attempt to pay a subscription's open invoice and move the subscription accordingly."""
    method = payment_method_id or subscription["default_payment_method"]
    attempt_payment(state, invoice, method, outcome, request)
    after_payment_attempt(state, subscription, invoice, request)
    return outcome


def after_payment_attempt(
    state: StripeState, subscription: StripeObject, invoice: StripeObject, request: RequestInfo
) -> None:
    """Paid → active; unpaid → past_due; with automatic retries on, the last failed one cancels
    (Stripe's default); with them off the subscription stays past_due for its owner to settle."""
    status = subscription["status"]
    if invoice["status"] == "paid":
        if status in ("incomplete", "past_due", "unpaid"):
            change(state, subscription, request, status="active")
        return
    if status in ("active", "trialing"):
        change(state, subscription, request, status="past_due")
    out_of_retries = state.automatic_retries and invoice["attempt_count"] >= MAX_PAYMENT_ATTEMPTS
    if out_of_retries and invoice["next_payment_attempt"] is None and status != "incomplete":
        cancel_now(state, subscription, request, reason="payment_failed")


def default_outcome(state: StripeState, subscription: StripeObject) -> PaymentOutcome:
    """How the card on file answers an automatic (off-session) charge."""
    return card_of(state, subscription["default_payment_method"]).off_session


def renew(
    state: StripeState, subscription: StripeObject, outcome: PaymentOutcome | None
) -> StripeObject:
    """Start the next billing period: invoice it and collect (automatic, so no request id)."""
    request = RequestInfo()
    before = snapshot(subscription)
    start = period_end(subscription)
    lines = state.pending_invoice_lines.pop(subscription["id"], [])
    lines.extend(next_period_lines(subscription))
    for item in items_of(subscription):
        item.update(
            current_period_start=start, current_period_end=period_after(start, item["price"])
        )
    invoice = create_invoice(state, subscription, lines, "subscription_cycle", request)
    subscription["latest_invoice"] = invoice["id"]
    if subscription["status"] == "trialing":
        subscription["status"] = "active"
    emit_updated(state, subscription, before, request)
    collect_new_invoice(state, subscription, invoice, outcome, request)
    return invoice


def next_period_lines(subscription: StripeObject) -> list[StripeObject]:
    """The invoice lines of the billing period after the current one, one per item."""
    start = period_end(subscription)
    return [
        _period_line(subscription, item, (start, period_after(start, item["price"])))
        for item in items_of(subscription)
    ]


def collect_new_invoice(
    state: StripeState,
    subscription: StripeObject,
    invoice: StripeObject,
    outcome: PaymentOutcome | None,
    request: RequestInfo,
) -> None:
    """Finalize a fresh invoice and charge it, unless collection is paused."""
    pause = subscription["pause_collection"]
    if pause is not None:
        _hold_invoice(state, invoice, pause["behavior"], request)
        return
    finalize_invoice(state, invoice, request)
    if invoice["status"] == "open":
        charge_invoice(
            state, subscription, invoice, outcome or default_outcome(state, subscription), request
        )


def _hold_invoice(
    state: StripeState, invoice: StripeObject, behavior: str, request: RequestInfo
) -> None:
    if behavior == "keep_as_draft":
        return
    finalize_invoice(state, invoice, request)
    if invoice["status"] != "open":
        return
    if behavior == "void":
        void_invoice(state, invoice, request)
        return
    invoice.update(status="uncollectible", next_payment_attempt=None)
    invoice["status_transitions"]["marked_uncollectible_at"] = state.now()
    emit(state, "invoice.marked_uncollectible", invoice, request)


def _period_line(
    subscription: StripeObject, item: StripeObject, period: tuple[int, int]
) -> StripeObject:
    price = item["price"]
    amount = price["unit_amount"] * item["quantity"]
    product_name = price["nickname"] or price["product"]
    description = f"{item['quantity']} x {product_name} (at R$ {price['unit_amount'] / 100:.2f})"
    return subscription_line(
        subscription, item, amount=amount, period=period, description=description
    )


def first_invoice_lines(subscription: StripeObject) -> list[StripeObject]:
    """The first invoice's lines: each item's first period (zero while trialing)."""
    trialing = subscription["status"] == "trialing"
    lines = []
    for item in items_of(subscription):
        period = (item["current_period_start"], item["current_period_end"])
        line = _period_line(subscription, item, period)
        if trialing:
            line.update(amount=0, description=f"Trial period for {item['price']['nickname']}")
        lines.append(line)
    return lines


def cancel_now(
    state: StripeState, subscription: StripeObject, request: RequestInfo, reason: str
) -> None:
    """End the subscription at once; emits `customer.subscription.deleted`."""
    now = state.now()
    subscription.update(
        status="canceled",
        canceled_at=subscription["canceled_at"] or now,
        ended_at=now,
        cancel_at_period_end=False,
        cancellation_details={**subscription["cancellation_details"], "reason": reason},
    )
    state.pending_invoice_lines.pop(subscription["id"], None)
    emit(state, "customer.subscription.deleted", subscription, request)


def pay_with_new_card(
    state: StripeState,
    invoice: StripeObject,
    card_number: str,
    request: RequestInfo,
    *,
    authenticated: bool = True,
) -> PaymentOutcome:
    """The customer pays an open invoice on its hosted page; the card becomes the default."""
    if invoice["status"] != "open":
        raise invalid_state(f"This invoice is {invoice['status']}, it cannot be paid.")
    card = card_by_number(card_number)
    customer = state.objects[invoice["customer"]]
    subscription = state.objects[subscription_of(invoice)]
    payment_method = attach_card(state, card, customer, request)
    change(state, subscription, request, default_payment_method=payment_method["id"])
    outcome: PaymentOutcome = "fail" if card.on_session == "decline" else "succeed"
    if card.on_session == "authenticate" and not authenticated:
        outcome = "requires_action"
    return charge_invoice(state, subscription, invoice, outcome, request, payment_method["id"])
