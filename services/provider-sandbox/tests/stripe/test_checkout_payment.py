"""Checkout in payment mode: a one-off card payment, its events, and what declines do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _open_payment(http: httpx.AsyncClient, **extra: str) -> Json:
    response = await http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "payment",
            "customer_email": "ana@example.com",
            "line_items[0][price_data][currency]": "brl",
            "line_items[0][price_data][unit_amount]": "4500",
            "line_items[0][price_data][product_data][name]": "Relatório anual",
            "line_items[0][quantity]": "2",
            "success_url": "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "metadata[company_id]": "company-1",
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    session: Json = response.json()
    return session


async def _pay(http: httpx.AsyncClient, session_id: str, card: str, **extra: str) -> httpx.Response:
    return await http.post(
        f"/_sandbox/stripe/checkout/{session_id}/pay", json={"card_number": card, **extra}
    )


async def _events(app: FastAPI, inbox: Any) -> list[Json]:
    await app.state.webhooks.drain()
    events: list[Json] = inbox.events()
    return events


async def test_a_payment_session_charges_the_line_items_once_with_events_in_order(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_payment(stripe_http)
    assert (session["mode"], session["amount_total"], session["payment_intent"]) == (
        "payment",
        9000,
        None,
    )

    paid = await _pay(stripe_http, session["id"], "4242424242424242")

    assert paid.status_code == 200, paid.text
    events = await _events(sandbox_app, webhook_inbox)
    assert [event["type"] for event in events] == [
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "checkout.session.completed",
    ]
    completed = events[-1]["data"]["object"]
    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    assert completed["payment_intent"] == events[0]["data"]["object"]["id"]
    assert (completed["subscription"], completed["invoice"], completed["customer"]) == (
        None,
        None,
        None,
    )
    assert completed["customer_details"]["email"] == "ana@example.com"
    assert completed["metadata"] == {"company_id": "company-1"}
    intent = (await stripe_http.get(f"/v1/payment_intents/{completed['payment_intent']}")).json()
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 9000)
    charge = (await stripe_http.get(f"/v1/charges/{intent['latest_charge']}")).json()
    assert (charge["status"], charge["amount"]) == ("succeeded", 9000)


async def test_a_declined_card_fails_the_intent_and_another_card_can_still_pay(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_payment(stripe_http)

    declined = await _pay(stripe_http, session["id"], "4000000000009995")
    declined_events = await _events(sandbox_app, webhook_inbox)
    webhook_inbox.clear()
    retried = await _pay(stripe_http, session["id"], "5555555555554444")

    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "insufficient_funds"
    assert [event["type"] for event in declined_events] == [
        "payment_intent.created",
        "payment_intent.payment_failed",
        "charge.failed",
    ]
    assert retried.status_code == 200
    assert [event["type"] for event in await _events(sandbox_app, webhook_inbox)] == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "checkout.session.completed",
    ]
    assert retried.json()["payment_intent"] == declined_events[0]["data"]["object"]["id"]


async def test_failing_3d_secure_fails_the_intent_and_leaves_the_session_open(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_payment(stripe_http)

    failed = await _pay(stripe_http, session["id"], "4000002500003155", three_d_secure="fail")

    assert failed.status_code == 402
    events = await _events(sandbox_app, webhook_inbox)
    assert [event["type"] for event in events] == [
        "payment_intent.created",
        "payment_intent.payment_failed",
    ]
    error = events[-1]["data"]["object"]["last_payment_error"]
    assert error["code"] == "payment_intent_authentication_failure"
    reread = (await stripe_http.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert (reread["status"], reread["payment_status"]) == ("open", "unpaid")


async def test_customer_creation_always_makes_a_customer_when_the_payment_succeeds(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_payment(stripe_http, customer_creation="always")

    paid = (await _pay(stripe_http, session["id"], "4242424242424242")).json()

    customer = (await stripe_http.get(f"/v1/customers/{paid['customer']}")).json()
    assert customer["email"] == "ana@example.com"
    types = [event["type"] for event in await _events(sandbox_app, webhook_inbox)]
    assert types.index("customer.created") < types.index("payment_intent.succeeded")


async def test_the_hosted_page_pays_a_payment_session(stripe_http: httpx.AsyncClient) -> None:
    session = await _open_payment(stripe_http)

    page = await stripe_http.get(f"/checkout/{session['id']}")
    paid = await stripe_http.post(
        f"/checkout/{session['id']}/pay", content="card=4242424242424242", headers=FORM
    )

    assert page.status_code == 200
    assert "R$ 90.00" in page.text
    assert "<button>Pay</button>" in page.text
    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://app.example/ok?session_id={session['id']}"
    reread = (await stripe_http.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert reread["payment_status"] == "paid"


async def test_payment_mode_takes_price_data_or_one_time_prices_only(
    stripe_http: httpx.AsyncClient,
) -> None:
    recurring = await stripe_http.post(
        "/v1/checkout/sessions",
        data={"mode": "payment", "line_items[0][price]": "price_finhub_starter_monthly"},
    )
    unnamed = await stripe_http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "payment",
            "line_items[0][price_data][currency]": "brl",
            "line_items[0][price_data][unit_amount]": "100",
        },
    )
    session = await _open_payment(stripe_http)
    listed = await stripe_http.get(f"/v1/checkout/sessions/{session['id']}/line_items")
    inline_price = listed.json()["data"][0]["price"]
    reused = await stripe_http.post(
        "/v1/checkout/sessions",
        data={"mode": "payment", "line_items[0][price]": inline_price["id"]},
    )

    assert recurring.status_code == 400
    assert recurring.json()["error"]["param"] == "line_items[0][price]"
    assert unnamed.status_code == 400
    assert unnamed.json()["error"]["param"] == "line_items[0][price_data][product_data][name]"
    assert (inline_price["type"], inline_price["unit_amount"]) == ("one_time", 4500)
    product = (await stripe_http.get(f"/v1/products/{inline_price['product']}")).json()
    assert product["name"] == "Relatório anual"
    assert reused.status_code == 200
    assert reused.json()["amount_total"] == 4500
