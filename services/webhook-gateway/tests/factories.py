"""Provider-shaped deliveries for the gateway's tests: signed Stripe events and Pluggy events."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import stripe

from finhub_shared.catalogue import route_for


def stripe_secret() -> str:
    """The first secret the gateway accepts (the test environment's STRIPE_WEBHOOK_SECRET)."""
    return os.environ["STRIPE_WEBHOOK_SECRET"].split(",")[0]


def stripe_event(
    event_type: str = "invoice.paid",
    *,
    data_object: dict[str, Any] | None = None,
    event_id: str | None = None,
    padding: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """A Stripe event as Stripe sends it (API 2026-10-28)."""
    route = route_for("stripe", event_type)
    kind = route.stripe_object if route and route.stripe_object else "invoice"
    obj = (
        data_object if data_object is not None else {"object": kind, "id": f"x_{uuid.uuid4().hex}"}
    )
    if padding:
        obj = {**obj, "description": "x" * padding}
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        **fields,
    }


def signed(
    event: dict[str, Any] | bytes, secret: str | None = None, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a Stripe delivery of `event`, signed as Stripe signs."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret or stripe_secret(), timestamp=timestamp or int(time.time())
    )
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


def pluggy_secret() -> str:
    return os.environ["PLUGGY_WEBHOOK_SECRET"].split(",")[0]


def pluggy_event(event: str = "item/updated", **fields: Any) -> dict[str, Any]:
    """A Pluggy webhook payload with the ids its event carries."""
    payload: dict[str, Any] = {
        "event": event,
        "eventId": str(uuid.uuid4()),
        "itemId": str(uuid.uuid4()),
        "clientId": os.environ["PLUGGY_CLIENT_ID"],
        "triggeredBy": "SYNC",
    }
    if event.startswith("transactions/"):
        payload |= {"accountId": str(uuid.uuid4()), "transactionIds": [str(uuid.uuid4())]}
    return payload | fields


def pluggy_delivery(
    payload: dict[str, Any] | bytes, secret: str | None = None
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"X-Webhook-Secret": secret or pluggy_secret(), "Content-Type": "application/json"}
