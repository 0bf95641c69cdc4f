"""Checkout in subscription mode: what paying creates, in which order, and what declines do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]

PAID_CHECKOUT_EVENTS = [
    "customer.created",
    "payment_method.attached",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "payment_intent.created",
    "payment_intent.succeeded",
    "charge.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
    "customer.subscription.updated",
    "checkout.session.completed",
]


async def _open_session(http: httpx.AsyncClient, **extra: str) -> Json:
    customer = (await http.post("/v1/customers", data={"email": "ana@example.com"})).json()
    response = await http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "subscription",
            "customer": customer["id"],
            "line_items[0][price]": "price_finhub_professional_monthly",
            "line_items[0][quantity]": "1",
            "success_url": "https://app.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://app.example/cancel",
            "metadata[company_id]": "company-1",
            "subscription_data[metadata][company_id]": "company-1",
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


async def _event_types(app: FastAPI, inbox: Any) -> list[str]:
    await app.state.webhooks.drain()
    types: list[str] = inbox.types()
    return types


async def test_a_new_session_is_open_and_points_to_the_hosted_page(
    stripe_http: httpx.AsyncClient,
) -> None:
    session = await _open_session(stripe_http)

    assert session["id"].startswith("cs_test_")
    assert session["object"] == "checkout.session"
    assert (session["status"], session["payment_status"]) == ("open", "unpaid")
    assert session["amount_total"] == 7900
    assert session["metadata"] == {"company_id": "company-1"}
    page = await stripe_http.get(f"/checkout/{session['id']}")
    assert page.status_code == 200
    assert "4242424242424242" in page.text


async def test_paying_with_4242_creates_everything_with_events_in_order(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_session(stripe_http)

    paid = (await _pay(stripe_http, session["id"], "4242 4242 4242 4242")).json()

    assert await _event_types(sandbox_app, webhook_inbox) == PAID_CHECKOUT_EVENTS
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    subscription = (await stripe_http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    assert subscription["status"] == "active"
    assert subscription["metadata"] == {"company_id": "company-1"}
    [item] = subscription["items"]["data"]
    assert item["price"]["id"] == "price_finhub_professional_monthly"
    assert item["current_period_end"] - item["current_period_start"] >= 28 * 86_400
    invoice = (await stripe_http.get(f"/v1/invoices/{paid['invoice']}")).json()
    assert invoice["status"] == "paid"
    assert (invoice["amount_due"], invoice["amount_paid"]) == (7900, 7900)
    assert invoice["billing_reason"] == "subscription_create"
    assert invoice["parent"]["subscription_details"] == {
        "metadata": {"company_id": "company-1"},
        "subscription": subscription["id"],
    }
    assert invoice["number"]
    assert invoice["hosted_invoice_url"].endswith(f"/invoice/{invoice['id']}")
    assert invoice["invoice_pdf"].endswith(f"/invoice/{invoice['id']}/pdf")
    method = await stripe_http.get(f"/v1/payment_methods/{subscription['default_payment_method']}")
    assert method.json()["card"]["last4"] == "4242"
    assert method.json()["card"]["brand"] == "visa"


async def test_the_subscription_updated_event_says_it_was_incomplete(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_session(stripe_http)
    await _pay(stripe_http, session["id"], "4242424242424242")
    await sandbox_app.state.webhooks.drain()

    by_type = {event["type"]: event for event in webhook_inbox.events()}
    updated = by_type["customer.subscription.updated"]
    assert updated["data"]["object"]["status"] == "active"
    assert updated["data"]["previous_attributes"]["status"] == "incomplete"
    assert by_type["customer.subscription.created"]["data"]["object"]["status"] == "incomplete"
    assert (
        by_type["checkout.session.completed"]["data"]["object"]["subscription"]
        == (updated["data"]["object"]["id"])
    )


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [("4000000000000002", "generic_decline"), ("4000000000009995", "insufficient_funds")],
)
async def test_a_declined_card_leaves_the_session_open_and_creates_nothing(
    stripe_http: httpx.AsyncClient,
    sandbox_app: FastAPI,
    webhook_inbox: Any,
    card: str,
    decline_code: str,
) -> None:
    session = await _open_session(stripe_http)
    webhook_inbox.clear()

    declined = await _pay(stripe_http, session["id"], card)

    assert declined.status_code == 402
    assert declined.json()["error"] == {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": decline_code,
        "message": declined.json()["error"]["message"],
    }
    assert await _event_types(sandbox_app, webhook_inbox) == []
    still_open = (await stripe_http.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert still_open["status"] == "open"
    assert (await stripe_http.get("/v1/subscriptions")).json()["data"] == []
    retried = await _pay(stripe_http, session["id"], "4242424242424242")
    assert retried.json()["status"] == "complete"


async def test_3d_secure_card_pays_once_authenticated_and_not_when_it_fails(
    stripe_http: httpx.AsyncClient,
) -> None:
    session = await _open_session(stripe_http)

    failed = await _pay(stripe_http, session["id"], "4000002500003155", three_d_secure="fail")
    passed = await _pay(stripe_http, session["id"], "4000002500003155", three_d_secure="complete")

    assert failed.status_code == 402
    assert failed.json()["error"]["code"] == "payment_intent_authentication_failure"
    assert passed.json()["payment_status"] == "paid"


async def test_a_session_cannot_be_paid_twice(stripe_http: httpx.AsyncClient) -> None:
    session = await _open_session(stripe_http)
    await _pay(stripe_http, session["id"], "4242424242424242")

    again = await _pay(stripe_http, session["id"], "4242424242424242")

    assert again.status_code == 400
    assert again.json()["error"]["type"] == "invalid_request_error"


async def test_a_trial_checkout_charges_nothing_and_starts_trialing(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_session(stripe_http, **{"subscription_data[trial_period_days]": "14"})
    webhook_inbox.clear()

    paid = (await _pay(stripe_http, session["id"], "4242424242424242")).json()

    assert paid["payment_status"] == "no_payment_required"
    subscription = (await stripe_http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    assert subscription["status"] == "trialing"
    assert subscription["trial_end"] - subscription["trial_start"] == 14 * 86_400
    invoice = (await stripe_http.get(f"/v1/invoices/{paid['invoice']}")).json()
    assert (invoice["status"], invoice["amount_due"]) == ("paid", 0)
    types = await _event_types(sandbox_app, webhook_inbox)
    assert "charge.succeeded" not in types
    assert types[-1] == "checkout.session.completed"


async def test_the_hosted_page_pays_and_redirects_to_success_url(
    stripe_http: httpx.AsyncClient,
) -> None:
    session = await _open_session(stripe_http)

    response = await stripe_http.post(
        f"/checkout/{session['id']}/pay",
        content="card=4242424242424242",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"https://app.example/ok?session_id={session['id']}"


async def test_the_hosted_page_asks_3d_secure_cards_to_authenticate_first(
    stripe_http: httpx.AsyncClient,
) -> None:
    session = await _open_session(stripe_http)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    challenge = await stripe_http.post(
        f"/checkout/{session['id']}/pay", content="card=4000002500003155", headers=form
    )
    completed = await stripe_http.post(
        f"/checkout/{session['id']}/pay",
        content="card=4000002500003155&authentication=complete",
        headers=form,
    )

    assert challenge.status_code == 200
    assert "Complete authentication" in challenge.text
    assert completed.status_code == 303


async def test_a_session_without_customer_creates_one_from_the_email(
    stripe_http: httpx.AsyncClient,
) -> None:
    created = await stripe_http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "subscription",
            "customer_email": "new@example.com",
            "line_items[0][price]": "price_finhub_starter_yearly",
        },
    )

    paid = (await _pay(stripe_http, created.json()["id"], "4242424242424242")).json()

    customer = (await stripe_http.get(f"/v1/customers/{paid['customer']}")).json()
    assert customer["email"] == "new@example.com"
    assert paid["customer_details"]["email"] == "new@example.com"


async def test_an_unpaid_session_expires_when_time_passes(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    session = await _open_session(stripe_http)
    webhook_inbox.clear()

    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 1.5})

    expired = (await stripe_http.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert expired["status"] == "expired"
    assert await _event_types(sandbox_app, webhook_inbox) == ["checkout.session.expired"]
    late = await _pay(stripe_http, session["id"], "4242424242424242")
    assert late.status_code == 400


async def test_only_recurring_prices_in_subscription_mode_and_prices_must_exist(
    stripe_http: httpx.AsyncClient,
) -> None:
    response = await stripe_http.post(
        "/v1/checkout/sessions",
        data={"mode": "subscription", "line_items[0][price]": "price_nope"},
    )

    assert response.status_code == 404
    assert response.json()["error"]["param"] == "line_items[0][price]"


async def test_line_items_can_be_listed_or_expanded(stripe_http: httpx.AsyncClient) -> None:
    session = await _open_session(stripe_http)

    listed = (await stripe_http.get(f"/v1/checkout/sessions/{session['id']}/line_items")).json()
    expanded = (
        await stripe_http.get(
            f"/v1/checkout/sessions/{session['id']}", params={"expand[]": "line_items"}
        )
    ).json()

    assert [item["price"]["id"] for item in listed["data"]] == ["price_finhub_professional_monthly"]
    assert expanded["line_items"]["data"] == listed["data"]
