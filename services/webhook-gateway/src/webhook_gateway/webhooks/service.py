"""Turning a raw delivery into a stored event, one check at a time, in the order the issue fixes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _json_text
from typing import Any

from finhub_shared.catalogue import route_for
from finhub_shared.correlation import current_correlation_id
from finhub_shared.events import SCHEMA_VERSION, routing_key, utcnow
from finhub_shared.fields import storable
from finhub_shared.settings import split_secrets
from finhub_shared.tracing import current_trace_context
from webhook_gateway.config import GatewaySettings
from webhook_gateway.webhooks.errors import (
    LivemodeMismatch,
    MalformedEvent,
    WebhookRateLimited,
    WebhookUnauthorized,
)
from webhook_gateway.webhooks.rate_limit import WebhookRateLimiter
from webhook_gateway.webhooks.schemas import Receipt
from webhook_gateway.webhooks.store import EventStatus, EventStore, IncomingEvent
from webhook_gateway.webhooks.verification import (
    verify_pluggy_secret,
    verify_pluggy_source,
    verify_stripe_signature,
)

MAX_IDENTIFIER_LENGTH = 255
MAX_API_VERSION_LENGTH = 64
# 9999-12-31T23:59:59Z, the last second a Python datetime holds: a later `created` is malformed.
MAX_UNIX_TIME = 253_402_300_799

# Headers never stored: they authenticate the delivery and are useless (or dangerous) later.
SECRET_HEADERS = frozenset(
    {"stripe-signature", "x-webhook-secret", "authorization", "cookie", "x-api-key"}
)


# The three answers, built once: a receipt per request was measurable work on the hot path.
ACCEPTED = Receipt()
DUPLICATE = Receipt(duplicate=True)
IGNORED = Receipt(ignored=True)


@dataclass(frozen=True)
class Delivery:
    """One HTTP delivery as the endpoint received it."""

    body: bytes
    headers: Mapping[str, str]
    peer: str | None


@dataclass(frozen=True)
class Gate:
    """What the checks need: settings, storage and the rate limiter of this process."""

    settings: GatewaySettings
    store: EventStore
    limiter: WebhookRateLimiter


async def receive_stripe(gate: Gate, delivery: Delivery) -> Receipt:
    """Signature, age, structure, mode, duplicate, type, rate limit, content; then store, queue."""
    settings = gate.settings
    verify_stripe_signature(
        delivery.body,
        delivery.headers.get("stripe-signature"),
        split_secrets(settings.stripe_webhook_secret),
        settings.stripe_tolerance_seconds,
        time.time(),
    )
    event = _json_object(delivery.body)
    _require_stripe_structure(event)
    if event["livemode"] is not settings.stripe_livemode:
        raise LivemodeMismatch(
            "The event is not of the Stripe mode (live or test) this gateway is configured for."
        )
    event_type = event["type"]
    route = route_for("stripe", event_type)
    expected_object = route.stripe_object if route else None
    if expected_object is not None and event["data"]["object"].get("object") != expected_object:
        raise MalformedEvent(f"A {event_type} event must carry a {expected_object}.")
    return await _store(
        gate,
        delivery,
        source="stripe",
        event_id=event["id"],
        event_type=event_type,
        routed=route is not None,
        company_id=_uuid_or_none(event["data"]["object"].get("metadata", {}), "company_id"),
        occurred_at=datetime.fromtimestamp(event["created"], UTC),
        api_version=event.get("api_version"),
    )


async def receive_pluggy(gate: Gate, delivery: Delivery) -> Receipt:
    """Source address, secret header, structure, client id; then duplicate, rate limit, store."""
    settings = gate.settings
    verify_pluggy_source(
        delivery.peer,
        delivery.headers.get("x-forwarded-for"),
        settings.pluggy_allowed_networks,
        settings.trusted_proxy_networks,
    )
    verify_pluggy_secret(delivery.headers, split_secrets(settings.pluggy_webhook_secret))
    event = _json_object(delivery.body)
    _require_pluggy_structure(event)
    if "clientId" in event and event["clientId"] != settings.pluggy_client_id:
        raise WebhookUnauthorized("The event belongs to another Pluggy application.")
    event_type = event["event"]
    return await _store(
        gate,
        delivery,
        source="pluggy",
        event_id=event["eventId"],
        event_type=event_type,
        routed=route_for("pluggy", event_type) is not None,
        company_id=_uuid_or_none(event, "clientUserId"),
        occurred_at=None,
    )


async def _store(
    gate: Gate,
    delivery: Delivery,
    *,
    source: str,
    event_id: str,
    event_type: str,
    routed: bool,
    company_id: uuid.UUID | None,
    occurred_at: datetime | None,
    api_version: str | None = None,
) -> Receipt:
    if routed:
        retry_after = await gate.limiter.admit(source, event_type)
        if retry_after is not None:
            # A redelivery of a stored event is answered as such, whatever the load.
            if await gate.store.exists(source, event_id):
                return DUPLICATE
            raise WebhookRateLimited(
                "Too many deliveries; retry later.", retry_after_seconds=retry_after
            )
    received_at = utcnow()
    # Stored either way, so an operator sees it; only the catalogue's events go to the bus.
    status: EventStatus = "routed" if routed else "ignored"
    event = IncomingEvent(
        source=source,
        event_id=event_id,
        event_type=event_type,
        status=status,
        raw_body=delivery.body,
        headers=_storable_headers(delivery.headers),
        company_id=company_id,
        occurred_at=occurred_at or received_at,
        received_at=received_at,
        routing_key=routing_key(source, event_type),
        envelope=envelope_json(
            source=source,
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at or received_at,
            received_at=received_at,
            company_id=company_id,
            raw_body=delivery.body,
        ),
        correlation_id=current_correlation_id(),
        api_version=api_version,
        trace_context=current_trace_context(),
    )
    if not await gate.store.save(event):
        return DUPLICATE
    return ACCEPTED if routed else IGNORED


def envelope_json(
    *,
    source: str,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    received_at: datetime,
    company_id: uuid.UUID | None,
    raw_body: bytes,
) -> bytes:
    """The bus envelope (DESIGN.md) of a provider event, with its payload as `data` byte for byte.

    Splicing the raw body in (instead of parsing and re-serialising it) keeps the payload
    untouched; the head is formatted directly, byte for byte what `json.dumps` would write.
    """
    company = f'"{company_id}"' if company_id else "null"
    head = (
        f'{{"id":{_json_text(event_id)},"source":{_json_text(source)},'
        f'"type":{_json_text(event_type)},"occurred_at":"{occurred_at.isoformat()}",'
        f'"received_at":"{received_at.isoformat()}","company_id":{company},'
        f'"schema_version":{SCHEMA_VERSION},"data":'
    )
    return head.encode() + raw_body + b"}"


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedEvent("The body is not JSON.") from None
    if not isinstance(parsed, dict):
        raise MalformedEvent("The body is not a JSON object.")
    return parsed


def _require_stripe_structure(event: dict[str, Any]) -> None:
    data = event.get("data")
    problems = [
        event.get("object") != "event" and "object must be 'event'",
        not _identifier(event.get("id"), "evt_") and "id must be an evt_ id",
        not _identifier(event.get("type")) and "type is missing or not text",
        not _unix_time(event.get("created")) and "created must be a Unix time",
        not isinstance(event.get("livemode"), bool) and "livemode must be true or false",
        not _api_version(event.get("api_version")) and "api_version must be null or short text",
        not (isinstance(data, dict) and isinstance(data.get("object"), dict))
        and "data.object must be an object",
    ]
    _raise_if_any(problems)


def _require_pluggy_structure(event: dict[str, Any]) -> None:
    problems: list[str | bool] = [
        not _identifier(event.get("event")) and "event is missing or not text",
        not _identifier(event.get("eventId")) and "eventId is missing or not text",
    ]
    route = route_for("pluggy", str(event.get("event")))
    for field in route.pluggy_fields if route else ():
        if event.get(field) in (None, "", []):
            problems.append(f"{field} is missing")
    _raise_if_any(problems)


def _raise_if_any(problems: list[str | bool]) -> None:
    found = [problem for problem in problems if isinstance(problem, str)]
    if found:
        raise MalformedEvent("The event is malformed: " + "; ".join(found) + ".")


def _identifier(value: object, prefix: str = "", max_length: int = MAX_IDENTIFIER_LENGTH) -> bool:
    """A non-empty storable string that fits its column (`max_length`), starting with `prefix`."""
    return (
        isinstance(value, str)
        and len(prefix) < len(value) <= max_length
        and value.startswith(prefix)
        and storable(value)
    )


def _api_version(value: object) -> bool:
    return value is None or _identifier(value, max_length=MAX_API_VERSION_LENGTH)


def _unix_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UNIX_TIME


def _uuid_or_none(container: object, key: str) -> uuid.UUID | None:
    value = container.get(key) if isinstance(container, dict) else None
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _storable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS}
