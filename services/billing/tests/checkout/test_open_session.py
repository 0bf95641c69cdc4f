"""A company has at most one open checkout session: asking again returns it, asking for another
plan expires it at Stripe first, so two sessions can never both be paid."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import stripe
from sqlalchemy import select, update

from billing.checkout.models import CheckoutSession
from finhub_shared.db import Database

from ..conftest import Deliver
from ..helpers import bearer, open_transactions, register
from ..scenario import T0, checked_out_company, paid_at_stripe
from ..stripe_objects import checkout_session, event
from ..stripe_sandbox import Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio

PROFESSIONAL = {"plan_id": 2, "billing_period": "monthly"}
ENTERPRISE = {"plan_id": 3, "billing_period": "monthly"}


async def check_out(
    client: httpx.AsyncClient, token: str, form: dict[str, object]
) -> httpx.Response:
    return await client.post("/api/payments/checkout/", json=form, headers=bearer(token))


def open_at_stripe(fake_stripe: SandboxStripe) -> list[str]:
    """The ids of the checkout sessions a customer could still pay."""
    sessions = fake_stripe.checkout_sessions.values()
    return [session["id"] for session in sessions if session["status"] == "open"]


async def test_asking_again_for_the_same_plan_returns_the_open_session(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    token = (await register(client))["access_token"]

    first = await check_out(client, token, PROFESSIONAL)
    again = await check_out(client, token, PROFESSIONAL)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1
    assert open_at_stripe(fake_stripe) == [first.json()["session_id"]]


async def test_a_checkout_for_another_plan_expires_the_open_one_at_stripe_first(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    token = (await register(client))["access_token"]
    first = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]

    response = await check_out(client, token, ENTERPRISE)

    assert response.status_code == 201, response.text
    second = response.json()["session_id"]
    assert second != first
    expiring = [
        call.request
        for call in fake_stripe.router.calls
        if call.request.url.path == f"/v1/checkout/sessions/{first}/expire"
    ]
    assert [request.headers["Idempotency-Key"] for request in expiring] == [
        f"checkout-expire-{first}"
    ]
    order = [path for method, path, _ in fake_stripe.requests if method == "POST"]
    assert order.index(f"/v1/checkout/sessions/{first}/expire") < len(order) - 1
    assert open_at_stripe(fake_stripe) == [second]
    assert (await check_out(client, token, ENTERPRISE)).json()["session_id"] == second


async def test_a_session_paid_while_a_new_one_is_asked_for_is_not_replaced(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    token = (await register(client))["access_token"]
    first = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]
    await fake_stripe.complete_checkout(first)

    response = await check_out(client, token, ENTERPRISE)

    assert response.status_code == 409
    assert response.json()["code"] == "checkout_already_paid"
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 1
    assert open_at_stripe(fake_stripe) == []


async def test_a_replaced_session_found_paid_expires_the_open_one_too(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    body = await register(client)
    token, company_id = body["access_token"], uuid.UUID(body["company"]["id"])
    current = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]
    # A session replaced earlier whose expiry Stripe never confirmed, paid meanwhile.
    [opened] = fake_stripe.calls("POST", "/v1/checkout/sessions")
    replaced = await paid_at_stripe(
        fake_stripe, stripe_client, opened["customer"], "price_finhub_enterprise_monthly"
    )
    async with database.transaction() as session:
        session.add(
            CheckoutSession(
                company_id=company_id,
                plan_id=3,
                billing_period="monthly",
                status="expiring",
                stripe_session_id=replaced["id"],
            )
        )

    response = await check_out(client, token, PROFESSIONAL)

    assert response.status_code == 409
    assert response.json()["code"] == "checkout_already_paid"
    assert open_at_stripe(fake_stripe) == []
    async with database.sessions() as session:
        rows = await session.execute(
            select(CheckoutSession.stripe_session_id, CheckoutSession.status)
        )
        statuses = dict(rows.all())
    assert statuses == {current: "expired", replaced["id"]: "complete"}


@pytest.mark.usefixtures("no_stripe_retries")
async def test_a_session_that_failed_to_expire_is_expired_by_the_next_request(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe
) -> None:
    token = (await register(client))["access_token"]
    first = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]
    fake_stripe.fail("POST", f"/v1/checkout/sessions/{first}/expire", status=500)

    failed = await check_out(client, token, ENTERPRISE)
    retried = await check_out(client, token, ENTERPRISE)

    assert failed.status_code == 502
    assert len(fake_stripe.calls("POST", "/v1/checkout/sessions")) == 2
    assert retried.status_code == 201, retried.text
    assert open_at_stripe(fake_stripe) == [retried.json()["session_id"]]


async def test_a_session_stripe_has_expired_by_now_is_not_returned(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database
) -> None:
    body = await register(client)
    token = body["access_token"]
    first = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]
    # A day later Stripe expired it; billing has not heard yet.
    await fake_stripe.control("advance", {"hours": 25})
    async with database.transaction() as session:
        await session.execute(
            update(CheckoutSession)
            .where(CheckoutSession.company_id == uuid.UUID(body["company"]["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    response = await check_out(client, token, PROFESSIONAL)

    assert response.status_code == 201
    assert response.json()["session_id"] != first
    assert open_at_stripe(fake_stripe) == [response.json()["session_id"]]


async def test_concurrent_checkouts_for_two_plans_leave_one_session_to_pay(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database
) -> None:
    body = await register(client)
    # Both requests reach Stripe before either is answered, then race for the company.
    gathering = Gathering("POST", "/v1/customers", expected=2)
    fake_stripe.while_answering(gathering)

    responses = await asyncio.gather(
        check_out(client, body["access_token"], PROFESSIONAL),
        check_out(client, body["access_token"], ENTERPRISE),
    )

    codes = sorted(response.status_code for response in responses)
    assert codes in ([201, 201], [201, 409])
    [still_open] = open_at_stripe(fake_stripe)
    async with database.sessions() as session:
        live = (
            await session.execute(
                select(CheckoutSession.stripe_session_id).where(
                    CheckoutSession.company_id == uuid.UUID(body["company"]["id"]),
                    CheckoutSession.status.in_(("creating", "open")),
                )
            )
        ).scalars()
        assert list(live) == [still_open]


async def test_stripes_expired_event_closes_our_session(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    company = await checked_out_company(client, fake_stripe)
    [session_id] = open_at_stripe(fake_stripe)
    stripe_session = checkout_session(
        session_id,
        company.customer_id,
        None,
        metadata=company.metadata,
        payment_status="unpaid",
        status="expired",
    )

    await deliver(event("checkout.session.expired", stripe_session, created=T0))

    async with database.sessions() as session:
        statuses = (await session.execute(select(CheckoutSession.status))).scalars().all()
    assert statuses == ["expired"]


async def test_no_transaction_is_open_while_stripe_expires_the_old_session(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, database: Database
) -> None:
    token = (await register(client))["access_token"]
    first = (await check_out(client, token, PROFESSIONAL)).json()["session_id"]
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-api")

    fake_stripe.while_answering(look_at_billing)
    response = await check_out(client, token, ENTERPRISE)

    assert response.status_code == 201
    assert seen[f"POST /v1/checkout/sessions/{first}/expire"] == []
    assert seen["POST /v1/checkout/sessions"] == []
