"""`POST /v1/invoices/{id}/pay`, as billing's dunning retries it, with Stripe's automatic retries
off (the sandbox's start, and what billing's account must have)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from .conftest import WebhookInbox, drain

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]
DECLINED = "4000000000000002"
CARD_OK = "5555555555554444"


async def _failed_renewal(http: httpx.AsyncClient, subscribe: Any) -> Json:
    """A subscription whose card on file became a declined one, and whose renewal failed: its
    open invoice."""
    paid = await subscribe()
    await http.post(
        f"/_sandbox/stripe/subscriptions/{paid['subscription']}/card",
        json={"card_number": DECLINED},
    )
    await http.post("/_sandbox/stripe/advance", json={"days": 31})
    subscription = (await http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    invoice: Json = (await http.get(f"/v1/invoices/{subscription['latest_invoice']}")).json()
    return invoice


async def _status(http: httpx.AsyncClient, subscription_id: str) -> str:
    status: str = (await http.get(f"/v1/subscriptions/{subscription_id}")).json()["status"]
    return status


def _subscription_of(invoice: Json) -> str:
    subscription_id: str = invoice["parent"]["subscription_details"]["subscription"]
    return subscription_id


async def test_a_failed_renewal_is_not_retried_by_stripe_when_retries_are_off(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)

    later = await stripe_http.post("/_sandbox/stripe/advance", json={"days": 25})

    assert (invoice["status"], invoice["next_payment_attempt"]) == ("open", None)
    assert "invoice.payment_failed" not in later.json()["events"]
    assert await _status(stripe_http, _subscription_of(invoice)) == "past_due"


async def test_paying_with_a_declined_card_is_a_402_and_leaves_the_invoice_open(
    stripe_http: httpx.AsyncClient,
    sandbox_app: FastAPI,
    webhook_inbox: WebhookInbox,
    subscribe: Any,
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)
    await drain(sandbox_app)
    webhook_inbox.clear()

    answer = await stripe_http.post(
        f"/v1/invoices/{invoice['id']}/pay", headers={"Idempotency-Key": "dunning-1"}
    )
    await drain(sandbox_app)

    assert answer.status_code == 402
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    after = (await stripe_http.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (after["status"], after["attempt_count"]) == ("open", invoice["attempt_count"] + 1)
    assert "invoice.payment_failed" in webhook_inbox.types()
    assert "invoice.paid" not in webhook_inbox.types()
    assert await _status(stripe_http, _subscription_of(invoice)) == "past_due"


async def test_retries_that_all_fail_never_cancel_when_retries_are_off(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)

    for step in range(1, 5):
        answer = await stripe_http.post(
            f"/v1/invoices/{invoice['id']}/pay", headers={"Idempotency-Key": f"step-{step}"}
        )
        assert answer.status_code == 402

    after = (await stripe_http.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (after["status"], after["attempt_count"]) == ("open", 5)
    assert await _status(stripe_http, _subscription_of(invoice)) == "past_due"


async def test_paying_after_the_card_on_file_was_replaced_pays_and_reactivates(
    stripe_http: httpx.AsyncClient,
    sandbox_app: FastAPI,
    webhook_inbox: WebhookInbox,
    subscribe: Any,
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)
    subscription_id = _subscription_of(invoice)
    await stripe_http.post(
        f"/_sandbox/stripe/subscriptions/{subscription_id}/card", json={"card_number": CARD_OK}
    )
    await drain(sandbox_app)
    webhook_inbox.clear()

    answer = await stripe_http.post(f"/v1/invoices/{invoice['id']}/pay")
    await drain(sandbox_app)

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["amount_paid"]) == ("paid", 7900)
    assert {"invoice.paid", "invoice.payment_succeeded"} <= set(webhook_inbox.types())
    assert await _status(stripe_http, subscription_id) == "active"
    again = await stripe_http.post(f"/v1/invoices/{invoice['id']}/pay")
    assert again.status_code == 400
    assert again.json()["error"]["type"] == "invalid_request_error"


async def test_paying_with_a_named_card_charges_that_card_not_the_default(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)
    subscription_id = _subscription_of(invoice)
    card_path = f"/_sandbox/stripe/subscriptions/{subscription_id}/card"
    good = (await stripe_http.post(card_path, json={"card_number": CARD_OK})).json()
    await stripe_http.post(card_path, json={"card_number": DECLINED})

    with_default = await stripe_http.post(f"/v1/invoices/{invoice['id']}/pay")
    with_named = await stripe_http.post(
        f"/v1/invoices/{invoice['id']}/pay",
        data={"payment_method": good["default_payment_method"]},
    )

    assert with_default.status_code == 402
    assert with_named.status_code == 200, with_named.text
    assert with_named.json()["status"] == "paid"


async def test_a_replayed_key_answers_the_same_without_charging_again(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    invoice = await _failed_renewal(stripe_http, subscribe)
    subscription_id = _subscription_of(invoice)
    await stripe_http.post(
        f"/_sandbox/stripe/subscriptions/{subscription_id}/card", json={"card_number": CARD_OK}
    )
    headers = {"Idempotency-Key": f"dunning-{invoice['id']}-2"}

    first = await stripe_http.post(f"/v1/invoices/{invoice['id']}/pay", headers=headers)
    second = await stripe_http.post(f"/v1/invoices/{invoice['id']}/pay", headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    after = (await stripe_http.get(f"/v1/invoices/{invoice['id']}")).json()
    assert after["attempt_count"] == invoice["attempt_count"] + 1
