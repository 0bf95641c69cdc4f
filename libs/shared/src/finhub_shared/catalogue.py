"""The provider events the gateway routes to the bus, and the service that handles each.

One list for both sides: the gateway publishes exactly these (any other is stored and answered
as ignored), and tests/test_contracts.py holds billing's and banking's handlers to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from finhub_shared.events import routing_key

ProviderSource = Literal["stripe", "pluggy"]
Consumer = Literal["billing", "banking"]


@dataclass(frozen=True)
class Route:
    """One provider event type on the bus: where it goes and what its payload must carry."""

    source: ProviderSource
    event_type: str
    consumer: Consumer
    # Stripe: the `object` its data.object must be. Pluggy: the fields besides `event`/`eventId`.
    stripe_object: str | None = None
    pluggy_fields: tuple[str, ...] = ()

    @property
    def routing_key(self) -> str:
        """The key it is published under (`stripe.invoice.paid`, `pluggy.item.updated`)."""
        return routing_key(self.source, self.event_type)


def _stripe(stripe_object: str, prefix: str, *names: str) -> list[Route]:
    return [
        Route("stripe", f"{prefix}.{name}", "billing", stripe_object=stripe_object)
        for name in names
    ]


def _pluggy(prefix: str, fields: tuple[str, ...], *names: str) -> list[Route]:
    return [Route("pluggy", f"{prefix}/{name}", "banking", pluggy_fields=fields) for name in names]


_ITEM = ("itemId",)
_TRANSACTIONS_CHANGED = ("itemId", "accountId", "transactionIds")

# Left out on purpose (stored by the gateway, never published): Stripe's customer.created
# (billing creates its customers itself) and invoice.finalization_failed (the invoice stays a
# draft: nothing of ours changes); Pluggy's boleto/updated and smart_transfer_* (products
# Finance Hub does not offer).
ROUTES: tuple[Route, ...] = (
    *_stripe(
        "checkout.session",
        "checkout.session",
        "completed",
        "expired",
        "async_payment_succeeded",
        "async_payment_failed",
    ),
    *_stripe(
        "subscription",
        "customer.subscription",
        "created",
        "updated",
        "deleted",
        "paused",
        "resumed",
        "trial_will_end",
        "pending_update_applied",
        "pending_update_expired",
    ),
    *_stripe(
        "invoice",
        "invoice",
        "created",
        "updated",
        "finalized",
        "paid",
        "payment_succeeded",
        "payment_failed",
        "payment_action_required",
        "upcoming",
        "marked_uncollectible",
        "voided",
    ),
    *_stripe(
        "payment_intent",
        "payment_intent",
        "succeeded",
        "payment_failed",
        "requires_action",
        "canceled",
        "processing",
    ),
    *_stripe("charge", "charge", "succeeded", "failed", "refunded"),
    *_stripe("refund", "charge.refund", "updated"),
    *_stripe("refund", "refund", "created", "updated", "failed"),
    *_stripe(
        "dispute",
        "charge.dispute",
        "created",
        "updated",
        "closed",
        "funds_withdrawn",
        "funds_reinstated",
    ),
    *_stripe("radar.early_fraud_warning", "radar.early_fraud_warning", "created", "updated"),
    *_stripe("customer", "customer", "updated", "deleted"),
    *_stripe(
        "payment_method",
        "payment_method",
        "attached",
        "detached",
        "updated",
        "automatically_updated",
    ),
    *_pluggy(
        "item",
        _ITEM,
        "created",
        "updated",
        "error",
        "deleted",
        "waiting_user_input",
        "waiting_user_action",
        "login_succeeded",
    ),
    *_pluggy("connector", (), "status_updated"),
    *_pluggy("transactions", ("itemId", "accountId"), "created"),
    *_pluggy("transactions", _TRANSACTIONS_CHANGED, "updated", "deleted"),
    *_pluggy(
        "payment_intent",
        ("paymentIntentId",),
        "created",
        "completed",
        "waiting_payer_authorization",
        "error",
    ),
    *_pluggy("payment_request", ("paymentRequestId",), "updated"),
    *_pluggy(
        "scheduled_payment",
        ("paymentRequestId",),
        "created",
        "completed",
        "error",
        "canceled",
        "all_created",
        "all_completed",
    ),
    # Pluggy's documentation leaves these payloads unconfirmed: nothing required, none refused.
    *_pluggy("automatic_pix_payment", (), "created", "completed", "error", "canceled"),
    # Named by the current product though absent from Pluggy's published list.
    *_pluggy("accounts", _ITEM, "created", "updated"),
    *_pluggy("consent", _ITEM, "revoked"),
)

_BY_TYPE: dict[tuple[str, str], Route] = {
    (route.source, route.event_type): route for route in ROUTES
}


def route_for(source: str, event_type: str) -> Route | None:
    """The route of this provider event type, or None when it is stored and not published."""
    return _BY_TYPE.get((source, event_type))
