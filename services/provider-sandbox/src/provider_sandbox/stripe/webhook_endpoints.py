"""Webhook endpoints: `/v1/webhook_endpoints`, where the account's events are delivered."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, require_api_key
from provider_sandbox.stripe.errors import invalid_param, parameter_missing
from provider_sandbox.stripe.events import API_VERSION
from provider_sandbox.stripe.forms import (
    Params,
    merge_metadata,
    optional_bool,
    optional_dict,
    optional_list,
    optional_str,
    required_str,
)
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import StripeObject, StripeState

router = APIRouter(dependencies=[Depends(require_api_key)])

# The endpoint a seeded account starts with: the gateway's, for every event.
GATEWAY_ENDPOINT_ID = "we_sandbox_gateway"


def seed_gateway_endpoint(state: StripeState) -> None:
    """The account's one endpoint at start-up: the gateway's, enabled for every event (`*`)."""
    state.add(_endpoint(state, GATEWAY_ENDPOINT_ID, state.webhook_url, ["*"], API_VERSION))


def _endpoint(
    state: StripeState, endpoint_id: str, url: str, events: list[str], api_version: str
) -> StripeObject:
    return {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": state.now(),
        "description": None,
        "enabled_events": events,
        "livemode": False,
        "metadata": {},
        "status": "enabled",
        "url": url,
    }


def _enabled_events(params: Params) -> list[str]:
    events = [str(name) for name in optional_list(params, "enabled_events")]
    if not events:
        raise parameter_missing("enabled_events")
    if "*" in events and len(events) > 1:
        raise invalid_param("enabled_events", "`*` cannot be combined with other events.")
    return events


def _url(params: Params) -> str:
    url = required_str(params, "url")
    if not url.startswith(("https://", "http://")):
        raise invalid_param("url", "Invalid URL: must be an http(s) URL.", "url_invalid")
    return url


def _apply(endpoint: StripeObject, params: Params) -> None:
    if "description" in params:
        endpoint["description"] = optional_str(params, "description")
    endpoint["metadata"] = merge_metadata(endpoint["metadata"], optional_dict(params, "metadata"))


@router.post("/v1/webhook_endpoints")
async def create(call: Call) -> JSONResponse:
    """Create an endpoint; only this answer shows its signing `secret`.

    Every sandbox endpoint signs with STRIPE_WEBHOOK_SECRET, so the gateway already holds it.
    """
    endpoint = _endpoint(
        call.state,
        new_id("we"),
        _url(call.params),
        _enabled_events(call.params),
        optional_str(call.params, "api_version") or API_VERSION,
    )
    _apply(endpoint, call.params)
    call.state.add(endpoint)
    return call.respond({**endpoint, "secret": call.state.webhook_secret})


@router.get("/v1/webhook_endpoints")
async def list_endpoints(call: Call) -> JSONResponse:
    """Endpoints newest first."""
    return call.respond_list(call.state.of_type("webhook_endpoint"), "/v1/webhook_endpoints")


@router.get("/v1/webhook_endpoints/{endpoint_id}")
async def retrieve(endpoint_id: str, call: Call) -> JSONResponse:
    """One endpoint (without its secret, as Stripe shows it after creation)."""
    return call.respond(call.state.get(endpoint_id, "webhook_endpoint"))


@router.post("/v1/webhook_endpoints/{endpoint_id}")
async def update(endpoint_id: str, call: Call) -> JSONResponse:
    """Change an endpoint's `url`, `enabled_events`, `disabled`, description or metadata."""
    endpoint = call.state.get(endpoint_id, "webhook_endpoint")
    if "url" in call.params:
        endpoint["url"] = _url(call.params)
    if "enabled_events" in call.params:
        endpoint["enabled_events"] = _enabled_events(call.params)
    disabled = optional_bool(call.params, "disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    _apply(endpoint, call.params)
    return call.respond(endpoint)


@router.delete("/v1/webhook_endpoints/{endpoint_id}")
async def delete(endpoint_id: str, call: Call) -> JSONResponse:
    """Delete an endpoint: nothing is delivered to it any more."""
    call.state.get(endpoint_id, "webhook_endpoint")
    call.state.remove(endpoint_id)
    return call.respond({"id": endpoint_id, "object": "webhook_endpoint", "deleted": True})
