"""The Stripe half's in-memory state: every object by id, the events, and the sandbox clock."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from provider_sandbox.stripe.errors import resource_missing
from provider_sandbox.stripe.idempotency import IdempotencyStore
from provider_sandbox.webhooks import WebhookDispatcher

StripeObject = dict[str, Any]


@dataclass(frozen=True)
class RequestInfo:
    """The API request behind a change; both None for automatic ones (renewals, dunning)."""

    id: str | None = None
    idempotency_key: str | None = None


AUTOMATIC = RequestInfo()


@dataclass
class CheckoutExtras:
    """What a checkout session keeps but Stripe does not show on the session object."""

    line_items: list[dict[str, Any]]
    subscription_metadata: dict[str, str]
    trial_period_days: int | None


@dataclass
class StripeState:
    """One sandbox Stripe account. Handlers never await while changing it, so no lock is needed."""

    # The gateway's webhook URL, where a seeded account's one endpoint points.
    webhook_url: str
    # Every endpoint signs with it (real Stripe gives each endpoint a secret of its own).
    webhook_secret: str
    webhooks: WebhookDispatcher
    # Where hosted pages (checkout, invoices, portal) are served, as browsers reach the sandbox.
    public_url: str
    clock_offset: int = 0
    objects: dict[str, StripeObject] = field(default_factory=dict)
    events: list[StripeObject] = field(default_factory=list)
    # Test card number behind each payment method; Stripe never shows full numbers.
    card_numbers: dict[str, str] = field(default_factory=dict)
    checkout_extras: dict[str, CheckoutExtras] = field(default_factory=dict)
    # Proration lines waiting for the subscription's next invoice.
    pending_invoice_lines: dict[str, list[StripeObject]] = field(default_factory=dict)
    invoice_counts: dict[str, int] = field(default_factory=dict)
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    # Subscriptions already told that their trial ends in three days.
    trial_warnings_sent: set[str] = field(default_factory=set)
    # (subscription id, period end) of the renewals already announced with `invoice.upcoming`.
    renewals_announced: set[tuple[str, int]] = field(default_factory=set)
    # Stripe's automatic retries of failed subscription payments (Dashboard: Billing → Revenue
    # recovery → Retries). Off, as billing's account must have them: billing retries by itself.
    automatic_retries: bool = False
    # The bytes of each uploaded file (`/v1/files`), by file id.
    file_contents: dict[str, bytes] = field(default_factory=dict)
    # Ids of the webhook endpoints, oldest first: every event is matched against them.
    webhook_endpoint_ids: list[str] = field(default_factory=list)

    def now(self) -> int:
        """The sandbox's current Unix time (real time plus every advance)."""
        return int(time.time()) + self.clock_offset

    def move_clock_to(self, timestamp: int) -> None:
        """Set the sandbox clock to `timestamp` if it lies ahead."""
        self.clock_offset = max(self.clock_offset, timestamp - int(time.time()))

    def add(self, obj: StripeObject) -> StripeObject:
        """Store a new object under its id."""
        self.objects[obj["id"]] = obj
        if obj["object"] == "webhook_endpoint" and obj["id"] not in self.webhook_endpoint_ids:
            self.webhook_endpoint_ids.append(obj["id"])
        return obj

    def remove(self, object_id: str) -> None:
        """Forget an object (a deleted webhook endpoint)."""
        self.objects.pop(object_id, None)
        if object_id in self.webhook_endpoint_ids:
            self.webhook_endpoint_ids.remove(object_id)

    def endpoints_for(self, event_type: str) -> list[StripeObject]:
        """The enabled webhook endpoints that want `event_type` (`*` wants every event)."""
        endpoints = [self.objects[each] for each in self.webhook_endpoint_ids]
        return [
            endpoint
            for endpoint in endpoints
            if endpoint["status"] == "enabled"
            and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]

    def get(self, object_id: str, object_name: str, param: str = "id") -> StripeObject:
        """The object with that id and type, or Stripe's 404."""
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != object_name:
            raise resource_missing(object_id, param)
        return obj

    def of_type(self, object_name: str) -> list[StripeObject]:
        """Every object of one type, newest first (Stripe's list order)."""
        found = [obj for obj in self.objects.values() if obj["object"] == object_name]
        return found[::-1]


def snapshot(obj: StripeObject) -> StripeObject:
    """A deep copy, so later changes do not alter an event or a saved answer."""
    return copy.deepcopy(obj)


def changed_attributes(before: StripeObject, after: StripeObject) -> StripeObject:
    """Stripe's `previous_attributes`: the old values of the top-level keys that changed."""
    return {key: value for key, value in before.items() if after.get(key) != value}
