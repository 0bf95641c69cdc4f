"""Checkout, portal, cancel and change of plan through the API, with Stripe faked over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from billing.config import get_settings
from billing.customers.models import StripeCustomer
from billing.plans.models import Plan
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import bearer, entitlement_snapshots, open_transactions, register
from ..scenario import checked_out_company, subscribed_company
from ..stripe_sandbox import Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio


async def test_checkout_creates_the_customer_then_a_subscription_session(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)
    company_id = body["company"]["id"]

    response = await client.post(
        "/api/payments/checkout/",
        json={"plan_id": 3, "billing_period": "yearly"},
        headers=bearer(body["access_token"]),
    )

    assert response.status_code == 201
    answer = response.json()
    assert answer["session_id"].startswith("cs_test_")
    # Stripe's hosted page of that session.
    assert answer["checkout_url"] == fake_stripe.checkout_sessions[answer["session_id"]]["url"]
    [customer] = fake_stripe.calls("POST", "/v1/customers")
    assert customer["email"] == body["user"]["email"]
    assert customer["metadata[company_id]"] == company_id
    [checkout] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    assert checkout["mode"] == "subscription"
    assert checkout["customer"].startswith("cus_")
    assert checkout["line_items[0][price]"] == "price_finhub_enterprise_yearly"
    assert checkout["client_reference_id"] == company_id
    for prefix in ("metadata", "subscription_data[metadata]"):
        assert checkout[f"{prefix}[company_id]"] == company_id
        assert checkout[f"{prefix}[plan_id]"] == "3"
        assert checkout[f"{prefix}[billing_period]"] == "yearly"


async def test_the_customer_is_created_once_per_company_with_an_idempotency_key(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)
    form = {"plan_id": 2, "billing_period": "monthly"}

    for _ in range(2):
        response = await client.post(
            "/api/payments/checkout/", json=form, headers=bearer(body["access_token"])
        )
        assert response.status_code == 201

    customer_calls = [r for r in fake_stripe.router.calls if r.request.url.path == "/v1/customers"]
    assert len(customer_calls) == 1
    key = customer_calls[0].request.headers["Idempotency-Key"]
    assert key == f"customer-{body['company']['id']}"
    customers = {c["customer"] for c in fake_stripe.calls("POST", "/v1/checkout/sessions")}
    assert len(customers) == 1


async def test_a_lost_answer_from_stripe_does_not_make_a_second_customer(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)
    fake_stripe.fail("POST", "/v1/checkout/sessions", status=500, times=3)
    form = {"plan_id": 2, "billing_period": "monthly"}

    failed = await client.post(
        "/api/payments/checkout/", json=form, headers=bearer(body["access_token"])
    )
    retried = await client.post(
        "/api/payments/checkout/", json=form, headers=bearer(body["access_token"])
    )

    assert failed.status_code == 502
    assert failed.json()["code"] == "provider_error"
    assert retried.status_code == 201
    created = {c["customer"] for c in fake_stripe.calls("POST", "/v1/checkout/sessions")}
    assert len(created) == 1


@pytest.mark.parametrize("plan_id", [99, 1])
async def test_an_unknown_or_withdrawn_plan_is_refused(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database, plan_id: int
) -> None:
    body = await register(client)
    async with database.transaction() as session:
        await session.execute(update(Plan).where(Plan.id == 1).values(is_active=False))
    try:
        response = await client.post(
            "/api/payments/checkout/",
            json={"plan_id": plan_id, "billing_period": "monthly"},
            headers=bearer(body["access_token"]),
        )
    finally:
        async with database.transaction() as session:
            await session.execute(update(Plan).where(Plan.id == 1).values(is_active=True))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_plan"
    assert fake_stripe.calls("POST", "/v1/checkout/sessions") == []


async def test_a_bad_billing_period_is_refused(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)

    response = await client.post(
        "/api/payments/checkout/",
        json={"plan_id": 2, "billing_period": "weekly"},
        headers=bearer(body["access_token"]),
    )

    assert response.status_code == 422


async def test_a_plan_without_a_stripe_price_is_a_provider_error(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)
    fake_stripe.missing_lookup_keys.add("starter_monthly")

    response = await client.post(
        "/api/payments/checkout/",
        json={"plan_id": 1, "billing_period": "monthly"},
        headers=bearer(body["access_token"]),
    )

    assert response.status_code == 502
    assert response.json()["code"] == "stripe_price_missing"


async def test_a_company_with_an_active_subscription_cannot_check_out_again(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await checked_out_company(client, fake_stripe)
    await deliver(company.checkout_completed())

    response = await client.post(
        "/api/payments/checkout/",
        json={"plan_id": 3, "billing_period": "monthly"},
        headers=company.headers,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_already_active"


async def test_the_portal_needs_a_billing_account(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    body = await register(client)

    response = await client.post("/api/payments/portal/", headers=bearer(body["access_token"]))

    assert response.status_code == 409
    assert response.json()["code"] == "no_billing_account"


@pytest.fixture
def portal_return_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A return URL of the test's own, whatever .env says (apps started after this read it)."""
    url = "https://app.finhub.test/settings/billing"
    monkeypatch.setenv("BILLING_PORTAL_RETURN_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


async def test_the_portal_opens_for_the_companys_customer(
    portal_return_url: str, client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    company = await checked_out_company(client, fake_stripe)

    response = await client.post("/api/payments/portal/", headers=company.headers)

    assert response.status_code == 200
    [portal_session] = fake_stripe.portal_sessions.values()
    assert response.json()["url"] == portal_session["url"]
    [portal] = fake_stripe.calls("POST", "/v1/billing_portal/sessions")
    assert portal["customer"] == company.customer_id
    assert portal["return_url"] == portal_return_url


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/api/payments/subscription/cancel/", {"when": "now"}),
        ("/api/payments/subscription/change-plan/", {"plan_id": 3, "billing_period": "monthly"}),
    ],
)
async def test_without_a_subscription_there_is_nothing_to_change(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, path: str, form: dict[str, object]
) -> None:
    body = await register(client)

    response = await client.post(path, json=form, headers=bearer(body["access_token"]))

    assert response.status_code == 409
    assert response.json()["code"] == "no_active_subscription"


async def test_cancel_at_period_end(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)

    response = await client.post(
        "/api/payments/subscription/cancel/", json={}, headers=company.headers
    )

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["cancel_at_period_end"] is True
    [update_call] = fake_stripe.calls("POST", f"/v1/subscriptions/{company.subscription_id}")
    assert update_call["cancel_at_period_end"] == "true"


async def test_cancel_now_drops_the_plan(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)

    response = await client.post(
        "/api/payments/subscription/cancel/", json={"when": "now"}, headers=company.headers
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["plan"] is None
    assert fake_stripe.calls("DELETE", f"/v1/subscriptions/{company.subscription_id}")
    last = (await entitlement_snapshots(database, company.company_id))[-1]
    assert (last["status"], last["plan"]) == ("cancelled", None)
    assert last["limits"]["bank_accounts"] == 0


async def test_change_plan_goes_through_stripe_with_proration(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)

    response = await client.post(
        "/api/payments/subscription/change-plan/",
        json={"plan_id": 3, "billing_period": "monthly"},
        headers=company.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["plan"]["slug"] == "enterprise"
    [change] = fake_stripe.calls("POST", f"/v1/subscriptions/{company.subscription_id}")
    assert change["items[0][id]"] == company.subscription_item_id
    assert change["items[0][price]"] == "price_finhub_enterprise_monthly"
    assert change["proration_behavior"] == "create_prorations"
    assert change["metadata[plan_id]"] == "3"
    last = (await entitlement_snapshots(database, company.company_id))[-1]
    assert last["plan"] == "enterprise"
    assert last["limits"]["bank_accounts"] is None


def stripe_keys(fake_stripe: SandboxStripe, method: str, path: str) -> list[str]:
    """The Idempotency-Key of every call of `method path`, in order."""
    return [
        call.request.headers.get("Idempotency-Key", "")
        for call in fake_stripe.router.calls
        if (call.request.method, call.request.url.path) == (method, path)
    ]


@pytest.mark.usefixtures("no_stripe_retries")
@pytest.mark.parametrize(
    ("path", "form", "method"),
    [
        ("/api/payments/subscription/cancel/", {"when": "period_end"}, "POST"),
        ("/api/payments/subscription/cancel/", {"when": "now"}, "DELETE"),
        (
            "/api/payments/subscription/change-plan/",
            {"plan_id": 3, "billing_period": "monthly"},
            "POST",
        ),
    ],
)
async def test_a_change_sent_again_after_a_failure_is_the_same_change_at_stripe(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    path: str,
    form: dict[str, object],
    method: str,
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    at_stripe = f"/v1/subscriptions/{company.subscription_id}"
    fake_stripe.fail(method, at_stripe)

    failed = await client.post(path, json=form, headers=company.headers)
    retried = await client.post(path, json=form, headers=company.headers)

    assert failed.status_code == 502
    assert retried.status_code == 200, retried.text
    first, second = stripe_keys(fake_stripe, method, at_stripe)
    assert first == second
    assert first.startswith("subscription-")


async def test_the_same_change_asked_again_after_the_subscription_moved_on_is_made_again(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)
    cancel, change = "/api/payments/subscription/cancel/", "/api/payments/subscription/change-plan/"

    await client.post(cancel, json={}, headers=company.headers)
    # A change of plan resumes the subscription; the user then cancels again.
    await client.post(
        change, json={"plan_id": 3, "billing_period": "monthly"}, headers=company.headers
    )
    again = await client.post(cancel, json={}, headers=company.headers)

    assert again.status_code == 200, again.text
    assert again.json()["cancel_at_period_end"] is True
    keys = stripe_keys(fake_stripe, "POST", f"/v1/subscriptions/{company.subscription_id}")
    assert len(set(keys)) == 3
    assert fake_stripe.subscriptions[company.subscription_id]["cancel_at_period_end"] is True


async def test_changing_to_the_same_plan_is_refused(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> None:
    company = await subscribed_company(client, fake_stripe, deliver)

    response = await client.post(
        "/api/payments/subscription/change-plan/",
        json={"plan_id": 2, "billing_period": "monthly"},
        headers=company.headers,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "plan_unchanged"


async def test_concurrent_checkouts_of_one_company_make_one_customer(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database
) -> None:
    body = await register(client)
    form = {"plan_id": 2, "billing_period": "monthly"}
    # Every request reaches Stripe's customer creation before any is answered: none waits on
    # another's Stripe call, so only the idempotency key and the guarded write keep one customer.
    gathering = Gathering("POST", "/v1/customers", expected=10)
    fake_stripe.while_answering(gathering)

    responses = await asyncio.gather(
        *(
            client.post("/api/payments/checkout/", json=form, headers=bearer(body["access_token"]))
            for _ in range(10)
        )
    )

    assert [response.status_code for response in responses] == [201] * 10
    # Stripe answers 409 to a key in use by a call it is still running; the client retries.
    assert gathering.arrived >= 10
    customers = {c["customer"] for c in fake_stripe.calls("POST", "/v1/checkout/sessions")}
    assert len(customers) == 1
    async with database.sessions() as session:
        stored = await session.get(StripeCustomer, uuid.UUID(body["company"]["id"]))
    assert stored is not None
    assert {stored.stripe_customer_id} == customers


# Each route that calls Stripe, its body, and the calls it makes ({id}: the subscription's).
STRIPE_ROUTES: dict[str, tuple[str, dict[str, Any] | None, set[str]]] = {
    "checkout": (
        "/api/payments/checkout/",
        {"plan_id": 1, "billing_period": "monthly"},
        {"GET /v1/prices", "POST /v1/customers", "POST /v1/checkout/sessions"},
    ),
    "portal": ("/api/payments/portal/", None, {"POST /v1/billing_portal/sessions"}),
    "cancel at period end": (
        "/api/payments/subscription/cancel/",
        {},
        {"POST /v1/subscriptions/{id}"},
    ),
    "cancel now": (
        "/api/payments/subscription/cancel/",
        {"when": "now"},
        {"DELETE /v1/subscriptions/{id}"},
    ),
    "change plan": (
        "/api/payments/subscription/change-plan/",
        {"plan_id": 3, "billing_period": "monthly"},
        {"GET /v1/prices", "POST /v1/subscriptions/{id}"},
    ),
}


@pytest.mark.parametrize("route_name", STRIPE_ROUTES)
async def test_no_transaction_is_open_while_stripe_answers(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    route_name: str,
) -> None:
    route, form, stripe_calls = STRIPE_ROUTES[route_name]
    # The portal needs a customer, cancelling and changing a subscription; checkout neither.
    if route_name == "checkout":
        token, subscription_id = (await register(client))["access_token"], ""
    else:
        company = await subscribed_company(client, fake_stripe, deliver)
        token, subscription_id = company.access_token, company.subscription_id
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-api")

    fake_stripe.while_answering(look_at_billing)
    response = await client.post(route, json=form, headers=bearer(token))

    assert response.status_code in (200, 201), response.text
    assert seen == {call.format(id=subscription_id): [] for call in stripe_calls}
