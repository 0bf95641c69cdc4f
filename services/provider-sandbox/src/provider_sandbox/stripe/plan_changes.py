"""Changing a subscription's items (plan or quantity), with Stripe's prorations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from provider_sandbox.stripe.errors import invalid_param, resource_missing
from provider_sandbox.stripe.forms import Params, optional_bool, optional_int, optional_str
from provider_sandbox.stripe.invoices import subscription_line
from provider_sandbox.stripe.state import StripeObject, StripeState, snapshot
from provider_sandbox.stripe.subscriptions import items_of, new_item, period_after

PRORATION_BEHAVIORS = frozenset({"create_prorations", "none", "always_invoice"})


@dataclass
class ItemChanges:
    """What an items update produced: invoice lines, and whether they must be invoiced now."""

    lines: list[StripeObject] = field(default_factory=list)
    invoice_now: bool = False


def change_items(
    state: StripeState, subscription: StripeObject, requested: list[Any], behavior: str
) -> ItemChanges:
    """Apply `items[]` changes in place and price them as Stripe does.

    Same interval: credit the unused time of the old price, charge the rest of the period at
    the new one (invoiced at the next renewal, or now with `always_invoice`). A new interval
    restarts the billing period today and is always invoiced at once.
    """
    if behavior not in PRORATION_BEHAVIORS:
        raise invalid_param("proration_behavior", f"Invalid proration_behavior: {behavior}")
    changes = ItemChanges(invoice_now=behavior == "always_invoice")
    for index, entry in enumerate(requested):
        if not isinstance(entry, dict):
            raise invalid_param(f"items[{index}]", "Invalid hash: each item must be a hash.")
        _change_one(state, subscription, entry, index, behavior, changes)
    return changes


def _change_one(
    state: StripeState,
    subscription: StripeObject,
    entry: Params,
    index: int,
    behavior: str,
    changes: ItemChanges,
) -> None:
    now = state.now()
    item = _item(subscription, optional_str(entry, "id"), index)
    price_id = optional_str(entry, "price")
    if price_id is not None:
        price = state.get(price_id, "price", f"items[{index}][price]")
    elif item is not None:
        price = item["price"]
    else:
        raise invalid_param(f"items[{index}][price]", "A new item needs a price.")
    quantity = optional_int(entry, "quantity") or (item["quantity"] if item else 1)
    prorate = behavior != "none"
    if item is not None:
        if prorate:
            changes.lines.append(_credit_unused(subscription, item, now))
        if optional_bool(entry, "deleted"):
            items_of(subscription).remove(item)
            return
    else:
        start_end = (now, _current_end(subscription, now))
        item = new_item(state, subscription["id"], price, quantity, start_end)
        items_of(subscription).append(item)
    new_interval = price["recurring"]["interval"] != item["price"]["recurring"]["interval"]
    item.update(price=snapshot(price), quantity=quantity)
    if new_interval:
        _restart_period(subscription, item, now, changes)
    elif prorate:
        changes.lines.append(_charge_remaining(subscription, item, now))
    subscription["items"]["total_count"] = len(items_of(subscription))


def _item(subscription: StripeObject, item_id: str | None, index: int) -> StripeObject | None:
    if item_id is None:
        return None
    for item in items_of(subscription):
        if item["id"] == item_id:
            return item
    raise resource_missing(item_id, f"items[{index}][id]")


def _current_end(subscription: StripeObject, now: int) -> int:
    ends = [item["current_period_end"] for item in items_of(subscription)]
    return max(ends, default=now)


def _restart_period(
    subscription: StripeObject, item: StripeObject, now: int, changes: ItemChanges
) -> None:
    end = period_after(now, item["price"])
    item.update(current_period_start=now, current_period_end=end)
    subscription["billing_cycle_anchor"] = now
    amount = item["price"]["unit_amount"] * item["quantity"]
    description = f"{item['quantity']} x {item['price']['nickname']}"
    changes.lines.append(
        subscription_line(
            subscription, item, amount=amount, period=(now, end), description=description
        )
    )
    changes.invoice_now = True


def _share_left(item: StripeObject, now: int) -> float:
    start, end = item["current_period_start"], item["current_period_end"]
    return max(0.0, min(1.0, (end - now) / (end - start))) if end > start else 0.0


def _credit_unused(subscription: StripeObject, item: StripeObject, now: int) -> StripeObject:
    amount = -round(item["price"]["unit_amount"] * item["quantity"] * _share_left(item, now))
    description = f"Unused time on {item['price']['nickname']} after {_date(now)}"
    return _proration_line(subscription, item, amount, now, description)


def _charge_remaining(subscription: StripeObject, item: StripeObject, now: int) -> StripeObject:
    amount = round(item["price"]["unit_amount"] * item["quantity"] * _share_left(item, now))
    description = f"Remaining time on {item['price']['nickname']} after {_date(now)}"
    return _proration_line(subscription, item, amount, now, description)


def _proration_line(
    subscription: StripeObject, item: StripeObject, amount: int, now: int, description: str
) -> StripeObject:
    period = (now, item["current_period_end"])
    return subscription_line(
        subscription,
        snapshot(item),
        amount=amount,
        period=period,
        description=description,
        proration=True,
    )


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y")
