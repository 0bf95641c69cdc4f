"""Billing's Stripe client: one per process, async calls only, failures turned into our errors."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import stripe
import structlog
from pydantic import BaseModel, ValidationError

from billing.config import BillingSettings
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.metrics import PROVIDER_LATENCY, PROVIDER_REQUESTS

log = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

STRIPE_API = "https://api.stripe.com"
STRIPE_FILES = "https://files.stripe.com"


@asynccontextmanager
async def open_stripe_client(settings: BillingSettings) -> AsyncIterator[stripe.StripeClient]:
    """A Stripe client aimed at STRIPE_API_BASE (the sandbox in development); closed on exit."""
    http_client = stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds)
    client = stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base, "files": files_base(settings)},
        http_client=http_client,
        max_network_retries=settings.stripe_max_network_retries,
    )
    try:
        yield client
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe 16.1


def files_base(settings: BillingSettings) -> str:
    """Where uploads go: Stripe serves its files API on files.stripe.com, and a stand-in for
    Stripe at STRIPE_API_BASE (the sandbox) serves both."""
    if settings.stripe_api_base.rstrip("/") == STRIPE_API:
        return STRIPE_FILES
    return settings.stripe_api_base


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Turn a failed Stripe call into a 502/503 naming `action`, logging Stripe's own details.

    Counts the call and its time as Pluggy's are counted (provider_requests_total,
    provider_request_duration_seconds, provider "stripe"), stripe-python's retries included.
    """
    started = time.monotonic()
    try:
        yield
    except stripe.APIConnectionError:
        _record("unreachable", started)
        log.warning("stripe_unreachable", action=action)
        raise ProviderUnavailable(f"Stripe could not be reached to {action}.") from None
    except stripe.StripeError as error:
        _record(_outcome_of(error), started)
        log.warning(
            "stripe_call_failed",
            action=action,
            http_status=error.http_status,
            stripe_code=error.code,
            request_id=error.request_id,
        )
        raise ProviderError(f"Stripe refused to {action}.") from None
    # Anything else raised in the block (a cancellation, the caller's own exception) says nothing
    # about Stripe and is not counted.
    _record("success", started)


def _record(outcome: str, started: float) -> None:
    PROVIDER_REQUESTS.labels(provider="stripe", outcome=outcome).inc()
    PROVIDER_LATENCY.labels(provider="stripe").observe(time.monotonic() - started)


def _outcome_of(error: stripe.StripeError) -> str:
    """The outcome ProviderClient would name for the same answer."""
    status = error.http_status
    if status == 429:
        return "rate_limited"
    if status is not None and status < 500:
        return "client_error"
    return "server_error"


async def stripe_call(action: str, answer_model: type[ModelT], request: Awaitable[Any]) -> ModelT:
    """Stripe's answer to `request` parsed as `answer_model` (one of `payloads`).

    A failed call, or an answer not of the expected shape, is a 502/503 naming `action`.
    """
    with stripe_errors(action):
        answer = await request
    # Stripe objects are not dicts: parse the plain JSON they came from.
    plain = answer.to_dict() if isinstance(answer, stripe.StripeObject) else answer
    try:
        return answer_model.model_validate(plain)
    except ValidationError as error:
        log.warning("stripe_answer_unexpected", action=action, problems=error.error_count())
        raise ProviderError(f"Stripe answered in an unexpected shape to {action}.") from None
