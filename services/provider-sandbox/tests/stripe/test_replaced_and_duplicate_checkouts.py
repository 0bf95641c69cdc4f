"""The calls billing makes when a company opens a second checkout or pays for two: expiring the
open session, cancelling the second subscription and refunding its first invoice, each keyed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import Subscribe, price_for

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]


async def _open_session(http: httpx.AsyncClient) -> Json:
    customer = (await http.post("/v1/customers", data={"email": "ana@example.com"})).json()
    price = await price_for(http, "professional_monthly")
    response = await http.post(
        "/v1/checkout/sessions",
        data={
            "mode": "subscription",
            "customer": customer["id"],
            "line_items[0][price]": price["id"],
            "line_items[0][quantity]": "1",
            "success_url": "https://app.example/ok",
        },
    )
    assert response.status_code == 200, response.text
    session: Json = response.json()
    return session


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_an_open_session_expires_once_and_cannot_be_paid(
    stripe_http: httpx.AsyncClient,
) -> None:
    session = await _open_session(stripe_http)
    path = f"/v1/checkout/sessions/{session['id']}/expire"

    expired = await stripe_http.post(path, headers=keyed(f"checkout-expire-{session['id']}"))
    replayed = await stripe_http.post(path, headers=keyed(f"checkout-expire-{session['id']}"))
    unkeyed = await stripe_http.post(path)
    paid = await stripe_http.post(
        f"/_sandbox/stripe/checkout/{session['id']}/pay", json={"card_number": "4242424242424242"}
    )

    assert expired.status_code == 200
    assert (expired.json()["status"], expired.json()["url"]) == ("expired", None)
    assert replayed.json() == expired.json()
    assert unkeyed.status_code == 400
    assert paid.status_code >= 400
    read = await stripe_http.get(f"/v1/checkout/sessions/{session['id']}")
    assert read.json()["status"] == "expired"


async def test_a_paid_session_cannot_be_expired_and_reads_complete(
    stripe_http: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    paid = await subscribe()

    refused = await stripe_http.post(f"/v1/checkout/sessions/{paid['id']}/expire")

    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"
    read = await stripe_http.get(f"/v1/checkout/sessions/{paid['id']}")
    assert read.json()["status"] == "complete"


async def test_a_subscription_is_cancelled_and_its_first_invoice_refunded_once(
    stripe_http: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    paid = await subscribe()
    subscription_id = paid["subscription"]
    cancel_key = keyed(f"duplicate-cancel-{subscription_id}")

    cancelled = await stripe_http.delete(f"/v1/subscriptions/{subscription_id}", headers=cancel_key)
    replayed = await stripe_http.delete(f"/v1/subscriptions/{subscription_id}", headers=cancel_key)
    again = await stripe_http.delete(f"/v1/subscriptions/{subscription_id}")
    invoice = (
        await stripe_http.get(
            f"/v1/invoices/{cancelled.json()['latest_invoice']}", params={"expand[]": "payments"}
        )
    ).json()
    intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    refund_form = {"payment_intent": intent, "reason": "duplicate"}
    refund_key = keyed(f"duplicate-refund-{subscription_id}")
    refund = await stripe_http.post("/v1/refunds", data=refund_form, headers=refund_key)
    refund_again = await stripe_http.post("/v1/refunds", data=refund_form, headers=refund_key)

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "canceled"
    assert replayed.json() == cancelled.json()
    assert again.status_code == 400
    assert invoice["status"] == "paid"
    assert refund.status_code == 200, refund.text
    assert (refund.json()["status"], refund.json()["amount"]) == (
        "succeeded",
        invoice["amount_paid"],
    )
    assert refund.json()["payment_intent"] == intent
    assert refund_again.json()["id"] == refund.json()["id"]
    refunds = (await stripe_http.get("/v1/refunds", params={"payment_intent": intent})).json()
    assert len(refunds["data"]) == 1
