"""Stripe failing during a request: a 502/503 with a stable code, nothing written, and the same
request works once Stripe recovers.

Every Stripe call an endpoint makes is broken in every way in turn (errors, outages, timeouts,
answers that are not what Stripe sends); the app makes one attempt per call (`no_stripe_retries`)
so the table runs fast. Retries themselves are tested in checkout/test_endpoints.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from finhub_dev.testing import outcome
from finhub_shared.db import Database

from .conftest import Deliver, row_counts
from .helpers import bearer, register, subscription_of
from .scenario import subscribed_company
from .stripe_sandbox import SandboxStripe

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("no_stripe_retries")]

STARTER = {"plan_id": 1, "billing_period": "monthly"}
ENTERPRISE = {"plan_id": 3, "billing_period": "monthly"}


def stripe_error(error_type: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": error_type, "code": code, "message": "fake Stripe error"}}


FAILURES: dict[str, tuple[httpx.Response | httpx.HTTPError, tuple[int, str]]] = {
    "500": (httpx.Response(500, json=stripe_error("api_error")), (502, "provider_error")),
    "503 html page": (httpx.Response(503, text="<html>down</html>"), (502, "provider_error")),
    "timeout": (httpx.ReadTimeout("fake timeout"), (503, "provider_unavailable")),
    "unreachable": (httpx.ConnectError("fake outage"), (503, "provider_unavailable")),
    "200 not json": (httpx.Response(200, text="<html>oops</html>"), (502, "provider_error")),
    "200 json of another shape": (
        httpx.Response(200, json={"object": "unexpected", "data": "x", "url": 5}),
        (502, "provider_error"),
    ),
    "200 a json list": (httpx.Response(200, json=[]), (502, "provider_error")),
    "400 invalid request": (
        httpx.Response(400, json=stripe_error("invalid_request_error")),
        (502, "provider_error"),
    ),
    "402 card declined": (
        httpx.Response(402, json=stripe_error("card_error", "card_declined")),
        (502, "provider_error"),
    ),
    "429 rate limited": (
        httpx.Response(429, json=stripe_error("rate_limit_error")),
        (502, "provider_error"),
    ),
}


CHECKOUT = "/api/payments/checkout/"
CANCEL = "/api/payments/subscription/cancel/"
CHANGE_PLAN = "/api/payments/subscription/change-plan/"
# Each request to our API and the Stripe call in it that breaks ({id}: the subscription's).
CALLS: dict[str, tuple[str, dict[str, Any] | None, str]] = {
    "checkout: price lookup": (CHECKOUT, STARTER, "GET /v1/prices"),
    "checkout: customer": (CHECKOUT, STARTER, "POST /v1/customers"),
    "checkout: session": (CHECKOUT, STARTER, "POST /v1/checkout/sessions"),
    "portal": ("/api/payments/portal/", None, "POST /v1/billing_portal/sessions"),
    "cancel at period end": (CANCEL, {}, "POST /v1/subscriptions/{id}"),
    "cancel now": (CANCEL, {"when": "now"}, "DELETE /v1/subscriptions/{id}"),
    "change plan: price lookup": (CHANGE_PLAN, ENTERPRISE, "GET /v1/prices"),
    "change plan: update": (CHANGE_PLAN, ENTERPRISE, "POST /v1/subscriptions/{id}"),
}


@pytest.mark.parametrize("call_name", CALLS)
async def test_stripe_failing_is_a_clear_error_that_writes_nothing_and_passes_once_it_recovers(
    lenient_client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    call_name: str,
) -> None:
    route, body, stripe_call = CALLS[call_name]
    # Checkout is for a company on its trial; the other routes need a subscription.
    if route == CHECKOUT:
        token, subscription_id = (await register(lenient_client))["access_token"], ""
    else:
        company = await subscribed_company(lenient_client, fake_stripe, deliver)
        token, subscription_id = company.access_token, company.subscription_id
    stripe_method, stripe_path = stripe_call.format(id=subscription_id).split()
    before = (await row_counts(database), await subscription_of(lenient_client, token))

    outcomes = {}
    for name, (failure, _) in FAILURES.items():
        fake_stripe.break_down(stripe_method, stripe_path, failure)
        response = await lenient_client.post(route, json=body, headers=bearer(token))
        outcomes[name] = outcome(response)
    fake_stripe.recover()
    after_failures = (await row_counts(database), await subscription_of(lenient_client, token))
    recovered = await lenient_client.post(route, json=body, headers=bearer(token))

    assert outcomes == {name: expected for name, (_, expected) in FAILURES.items()}
    assert after_failures == before
    assert recovered.status_code == (201 if route == CHECKOUT else 200), recovered.text
