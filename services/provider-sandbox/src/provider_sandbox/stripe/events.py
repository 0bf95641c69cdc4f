"""Stripe events: each change is recorded as an event and sent, signed, to the webhook endpoints
that want it (the gateway's)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from functools import partial

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, require_api_key
from provider_sandbox.stripe.forms import optional_list, optional_str
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState, snapshot

API_VERSION = "2026-10-28.endive"
SIGNATURE_HEADER = "Stripe-Signature"


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` header value."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    signed = f"{signed_at}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


def _signed_headers(secret: str, body: bytes) -> dict[str, str]:
    # Signed at each attempt with the real time: the gateway's tolerance is about real time.
    return {SIGNATURE_HEADER: signature_header(body, secret)}


def emit(
    state: StripeState,
    event_type: str,
    obj: StripeObject,
    request: RequestInfo,
    previous_attributes: StripeObject | None = None,
) -> StripeObject:
    """Record an event holding a snapshot of `obj` and queue its webhook to every endpoint that
    wants it."""
    endpoints = state.endpoints_for(event_type)
    data: StripeObject = {"object": snapshot(obj)}
    if previous_attributes:
        data["previous_attributes"] = snapshot(previous_attributes)
    event: StripeObject = {
        "id": new_id("evt"),
        "object": "event",
        "account": None,
        "api_version": API_VERSION,
        "created": state.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": len(endpoints),
        "request": {"id": request.id, "idempotency_key": request.idempotency_key},
        "type": event_type,
    }
    state.add(event)
    body = json.dumps(event).encode()
    for endpoint in endpoints:
        state.webhooks.send(
            endpoint["url"],
            body,
            target="stripe",
            label=event_type,
            sign=partial(_signed_headers, state.webhook_secret),
        )
    return event


router = APIRouter(dependencies=[Depends(require_api_key)])


@router.get("/v1/events")
async def list_events(call: Call) -> JSONResponse:
    """Events newest first, optionally of one `type` or of any of `types[]`."""
    wanted = [str(name) for name in optional_list(call.params, "types")]
    if (single := optional_str(call.params, "type")) is not None:
        wanted.append(single)
    events = call.state.of_type("event")
    if wanted:
        events = [event for event in events if event["type"] in wanted]
    return call.respond_list(events, "/v1/events")


@router.get("/v1/events/{event_id}")
async def retrieve_event(event_id: str, call: Call) -> JSONResponse:
    """One event."""
    return call.respond(call.state.get(event_id, "event"))
