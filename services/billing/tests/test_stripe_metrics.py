"""Billing counts its calls to Stripe and their time as banking counts Pluggy's
(provider_requests_total and provider_request_duration_seconds, provider "stripe")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from .helpers import bearer, register
from .stripe_sandbox import SandboxStripe

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("no_stripe_retries")]

CHECKOUT = "/api/payments/checkout/"
STARTER = {"plan_id": 1, "billing_period": "monthly"}
OUTCOMES = ("success", "client_error", "rate_limited", "server_error", "unreachable")


def calls() -> dict[str, float]:
    """Stripe calls counted so far, by outcome, and the timed ones (`timed`)."""
    counted = {
        outcome: REGISTRY.get_sample_value(
            "provider_requests_total", {"provider": "stripe", "outcome": outcome}
        )
        or 0.0
        for outcome in OUTCOMES
    }
    timed = REGISTRY.get_sample_value(
        "provider_request_duration_seconds_count", {"provider": "stripe"}
    )
    return {**counted, "timed": timed or 0.0}


def grown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: after[key] - before[key] for key in after if after[key] != before[key]}


def stripe_error(error_type: str) -> dict[str, Any]:
    return {"error": {"type": error_type, "message": "fake Stripe error"}}


async def test_a_checkout_counts_each_stripe_call_it_made_as_a_success(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    token = (await register(client))["access_token"]
    before = calls()

    response = await client.post(CHECKOUT, json=STARTER, headers=bearer(token))

    assert response.status_code == 201, response.text
    # The price lookup, the customer, the session.
    assert grown(before, calls()) == {"success": 3, "timed": 3}


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [
        (httpx.Response(500, json=stripe_error("api_error")), "server_error"),
        (httpx.Response(429, json=stripe_error("rate_limit_error")), "rate_limited"),
        (httpx.Response(400, json=stripe_error("invalid_request_error")), "client_error"),
        (httpx.ConnectError("fake outage"), "unreachable"),
    ],
    ids=["500", "429", "400", "unreachable"],
)
async def test_a_failed_stripe_call_is_counted_by_how_it_failed(
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    failure: httpx.Response | httpx.HTTPError,
    outcome: str,
) -> None:
    token = (await register(lenient_client))["access_token"]
    fake_stripe.break_down("GET", "/v1/prices", failure)
    before = calls()

    response = await lenient_client.post(CHECKOUT, json=STARTER, headers=bearer(token))

    assert response.status_code in (502, 503), response.text
    assert grown(before, calls()) == {outcome: 1, "timed": 1}
