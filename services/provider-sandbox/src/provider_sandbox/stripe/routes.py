"""Stripe API routes of the sandbox, and `install`, which gives the app its Stripe state."""

from __future__ import annotations

import json
from functools import partial

from fastapi import APIRouter, FastAPI, Request

from finhub_shared.settings import split_secrets
from provider_sandbox.config import SandboxSettings
from provider_sandbox.control import register_time_travel
from provider_sandbox.stripe import (
    account,
    catalog,
    checkout,
    control,
    customers,
    disputes,
    events,
    files,
    hosted,
    invoice_items,
    invoice_routes,
    payments,
    portal,
    refunds,
    subscription_routes,
    webhook_endpoints,
)
from provider_sandbox.stripe.billing_cycle import advance_clock
from provider_sandbox.stripe.errors import StripeApiError, stripe_error_handler
from provider_sandbox.stripe.idempotency import IdempotencyMiddleware
from provider_sandbox.stripe.state import StripeState
from provider_sandbox.webhooks import WebhookDispatcher

router = APIRouter()
for module in (
    account,
    customers,
    catalog,
    checkout,
    subscription_routes,
    invoice_routes,
    invoice_items,
    payments,
    refunds,
    disputes,
    files,
    portal,
    events,
    webhook_endpoints,
    hosted,
    control,
):
    router.include_router(module.router)

_API_METHODS = ["GET", "POST", "DELETE"]


@router.api_route("/v1/{path:path}", methods=_API_METHODS, include_in_schema=False)
async def unrecognized(path: str, request: Request) -> None:
    """Stripe's answer to a path it does not serve."""
    raise StripeApiError(404, f"Unrecognized request URL ({request.method}: /v1/{path}).")


def install(app: FastAPI, settings: SandboxSettings) -> None:
    """Create the Stripe state (catalog and the gateway's webhook endpoint seeded, unless
    SANDBOX_STRIPE_EMPTY_ACCOUNT), its error rendering and idempotency keys.

    Call after `app.state.webhooks` is set and before the fault middleware is added, so that
    injected faults are never saved as idempotent answers.
    """
    webhooks: WebhookDispatcher = app.state.webhooks
    state = StripeState(
        webhook_url=f"{settings.gateway_url.rstrip('/')}/webhooks/stripe",
        webhook_secret=split_secrets(settings.stripe_webhook_secret)[0],
        webhooks=webhooks,
        public_url=settings.base_url,
    )
    if not settings.stripe_empty_account:
        catalog.seed_catalog(state)
        webhook_endpoints.seed_gateway_endpoint(state)
    if settings.seed_file is not None:
        _load_seed(state, settings)
    app.state.stripe = state
    app.add_exception_handler(StripeApiError, stripe_error_handler)
    app.add_middleware(IdempotencyMiddleware, store=state.idempotency)
    register_time_travel(app, "stripe", partial(advance_clock, state, None))


def _load_seed(state: StripeState, settings: SandboxSettings) -> None:
    assert settings.seed_file is not None
    seed = json.loads(settings.seed_file.read_text(encoding="utf-8"))
    for obj in seed.get("stripe", {}).get("objects", []):
        state.add(obj)
