"""Time travel: renewals, failed payments and dunning, 3-D Secure renewals, trials."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]
DAY = 86_400


async def _advance(http: httpx.AsyncClient, days: float, renewal: str | None = None) -> Json:
    response = await http.post("/_sandbox/stripe/advance", json={"days": days, "renewal": renewal})
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


async def _retry_automatically(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/stripe/retries", json={"enabled": True})
    assert response.json() == {"automatic_retries": True}


async def _subscription(http: httpx.AsyncClient, subscription_id: str) -> Json:
    subscription: Json = (await http.get(f"/v1/subscriptions/{subscription_id}")).json()
    return subscription


async def _latest_invoice(http: httpx.AsyncClient, subscription_id: str) -> Json:
    subscription = await _subscription(http, subscription_id)
    invoice: Json = (await http.get(f"/v1/invoices/{subscription['latest_invoice']}")).json()
    return invoice


async def test_a_successful_renewal_moves_the_period_and_is_paid(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    first_period = (await _subscription(stripe_http, paid["subscription"]))["items"]["data"][0]
    webhook_inbox.clear()

    result = await _advance(stripe_http, 31)

    assert result["events"] == [
        "invoice.upcoming",
        "invoice.created",
        "customer.subscription.updated",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    item = (await _subscription(stripe_http, paid["subscription"]))["items"]["data"][0]
    assert item["current_period_start"] == first_period["current_period_end"]
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert (invoice["billing_reason"], invoice["status"]) == ("subscription_cycle", "paid")
    assert invoice["lines"]["data"][0]["period"] == {
        "start": item["current_period_start"],
        "end": item["current_period_end"],
    }
    await sandbox_app.state.webhooks.drain()
    assert all(event["request"]["id"] is None for event in webhook_inbox.events())


async def test_invoice_upcoming_announces_each_renewal_three_days_ahead_once(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    period_end = (await _subscription(stripe_http, paid["subscription"]))["items"]["data"][0][
        "current_period_end"
    ]
    now = (await stripe_http.get("/_sandbox/stripe/clock")).json()["now"]
    days_to_notice = (period_end - now) / DAY - 3
    webhook_inbox.clear()

    before_notice = await _advance(stripe_http, days_to_notice - 0.5)
    at_notice = await _advance(stripe_http, 1)
    after_notice = await _advance(stripe_http, 1)

    assert before_notice["events"] == []
    assert at_notice["events"] == ["invoice.upcoming"]
    assert after_notice["events"] == []
    await sandbox_app.state.webhooks.drain()
    [event] = webhook_inbox.events()
    upcoming = event["data"]["object"]
    assert "id" not in upcoming
    assert event["request"]["id"] is None
    assert (upcoming["billing_reason"], upcoming["amount_due"]) == ("upcoming", 7900)
    assert upcoming["customer"] == paid["customer"]
    assert upcoming["parent"]["subscription_details"]["subscription"] == paid["subscription"]
    assert upcoming["parent"]["subscription_details"]["metadata"] == {"company_id": "company-1"}
    assert upcoming["next_payment_attempt"] == period_end
    assert upcoming["lines"]["data"][0]["period"]["start"] == period_end


async def test_each_period_gets_its_own_invoice_upcoming(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    await subscribe()

    result = await _advance(stripe_http, 95)

    assert result["events"].count("invoice.upcoming") == 3
    assert result["events"].count("invoice.paid") == 3
    assert result["events"].index("invoice.upcoming") < result["events"].index("invoice.created")


async def test_a_trial_or_a_subscription_ending_at_period_end_gets_no_invoice_upcoming(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    await subscribe(**{"subscription_data[trial_period_days]": "30"})
    ending = await subscribe()
    cancelling = await stripe_http.post(
        f"/v1/subscriptions/{ending['subscription']}", data={"cancel_at_period_end": "true"}
    )
    now = (await stripe_http.get("/_sandbox/stripe/clock")).json()["now"]
    days_to_end = (cancelling.json()["cancel_at"] - now) / DAY

    result = await _advance(stripe_http, days_to_end - 1)

    assert "customer.subscription.trial_will_end" in result["events"]
    assert "invoice.upcoming" not in result["events"]


async def test_a_year_of_renewals_makes_twelve_paid_invoices(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()

    await _advance(stripe_http, 366)

    invoices = await stripe_http.get(
        "/v1/invoices", params={"subscription": paid["subscription"], "limit": "100"}
    )
    assert [invoice["status"] for invoice in invoices.json()["data"]] == ["paid"] * 13


async def test_a_failed_renewal_goes_past_due_and_retries_then_cancels(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    await _retry_automatically(stripe_http)
    webhook_inbox.clear()

    failed = await _advance(stripe_http, 31, renewal="fail")
    await sandbox_app.state.webhooks.drain()

    assert failed["events"][-4:] == [
        "payment_intent.payment_failed",
        "charge.failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    subscription = await _subscription(stripe_http, paid["subscription"])
    assert subscription["status"] == "past_due"
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert invoice["attempt_count"] == 1
    assert invoice["next_payment_attempt"] is not None
    payment_failed = next(
        event for event in webhook_inbox.events() if event["type"] == "invoice.payment_failed"
    )
    assert (
        payment_failed["data"]["object"]["next_payment_attempt"] == invoice["next_payment_attempt"]
    )

    retried = await _advance(stripe_http, 20, renewal="fail")

    assert retried["events"].count("invoice.payment_failed") == 3
    assert retried["events"][-1] == "customer.subscription.deleted"
    ended = await _subscription(stripe_http, paid["subscription"])
    assert ended["status"] == "canceled"
    assert ended["cancellation_details"]["reason"] == "payment_failed"
    final_invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert (final_invoice["attempt_count"], final_invoice["next_payment_attempt"]) == (4, None)


async def test_a_retry_that_succeeds_brings_the_subscription_back(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()
    await _retry_automatically(stripe_http)
    await _advance(stripe_http, 31, renewal="fail")

    recovered = await _advance(stripe_http, 4, renewal="succeed")

    assert "invoice.paid" in recovered["events"]
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "active"
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert (invoice["status"], invoice["attempt_count"]) == ("paid", 2)


async def test_a_renewal_that_needs_3d_secure_waits_for_the_customer(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()

    waiting = await _advance(stripe_http, 31, renewal="requires_action")

    assert "invoice.payment_action_required" in waiting["events"]
    assert "payment_intent.requires_action" in waiting["events"]
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert (invoice["status"], invoice["next_payment_attempt"]) == ("open", None)
    intent_id = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    intent = (await stripe_http.get(f"/v1/payment_intents/{intent_id}")).json()
    assert intent["status"] == "requires_action"
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "past_due"

    paid_on_page = await stripe_http.post(
        f"/_sandbox/stripe/invoices/{invoice['id']}/pay", json={"card_number": "4000002500003155"}
    )

    assert paid_on_page.json()["status"] == "paid"
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "active"


async def test_a_card_that_always_asks_for_3d_secure_cannot_renew_by_itself(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe(card="4000002760003184")

    result = await _advance(stripe_http, 31)

    assert "invoice.payment_action_required" in result["events"]
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "past_due"


async def test_the_hosted_invoice_page_pays_a_past_due_invoice(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()
    await _advance(stripe_http, 31, renewal="fail")
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert invoice["hosted_invoice_url"].endswith(f"/invoice/{invoice['id']}")

    page = await stripe_http.post(
        f"/invoice/{invoice['id']}/pay",
        content="card=5555555555554444",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert page.status_code == 200
    assert (await _latest_invoice(stripe_http, paid["subscription"]))["status"] == "paid"
    subscription = await _subscription(stripe_http, paid["subscription"])
    method = await stripe_http.get(f"/v1/payment_methods/{subscription['default_payment_method']}")
    assert method.json()["card"]["last4"] == "4444"


async def test_a_trial_warns_three_days_before_and_then_bills(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe(**{"subscription_data[trial_period_days]": "14"})

    warned = await _advance(stripe_http, 11.5)
    billed = await _advance(stripe_http, 3)

    assert warned["events"] == ["customer.subscription.trial_will_end"]
    assert "invoice.paid" in billed["events"]
    subscription = await _subscription(stripe_http, paid["subscription"])
    assert subscription["status"] == "active"
    assert subscription["items"]["data"][0]["current_period_start"] == subscription["trial_end"]
    invoice = await _latest_invoice(stripe_http, paid["subscription"])
    assert invoice["amount_paid"] == 7900


async def test_the_shared_advance_moves_the_stripe_clock(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    await subscribe()
    before = (await stripe_http.get("/_sandbox/stripe/clock")).json()["now"]

    response = await stripe_http.post("/_sandbox/advance", json={"days": 31})

    stripe_result = response.json()["results"]["stripe"]
    assert stripe_result["now"] >= before + 31 * DAY
    assert "invoice.paid" in stripe_result["events"]


async def test_a_card_on_file_replaced_by_a_declined_one_fails_the_next_renewal(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()

    replaced = await stripe_http.post(
        f"/_sandbox/stripe/subscriptions/{paid['subscription']}/card",
        json={"card_number": "4000000000000002"},
    )
    failed = await _advance(stripe_http, 31)

    assert replaced.status_code == 200, replaced.text
    assert "invoice.payment_failed" in failed["events"]
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "past_due"
