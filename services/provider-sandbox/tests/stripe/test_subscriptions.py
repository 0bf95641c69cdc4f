"""Subscription changes: plan with proration, cancel now or at period end, pause and resume."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]
DAY = 86_400


async def _subscription(http: httpx.AsyncClient, subscription_id: str) -> Json:
    subscription: Json = (await http.get(f"/v1/subscriptions/{subscription_id}")).json()
    return subscription


async def _events_after(app: FastAPI, inbox: Any, action: Any) -> list[Json]:
    await app.state.webhooks.drain()
    inbox.clear()
    await action
    await app.state.webhooks.drain()
    events: list[Json] = inbox.events()
    return events


async def test_upgrade_with_always_invoice_bills_the_prorated_difference_now(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe(lookup_key="starter_monthly")
    before = await _subscription(stripe_http, paid["subscription"])
    item_id = before["items"]["data"][0]["id"]

    events = await _events_after(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/v1/subscriptions/{before['id']}",
            data={
                "items[0][id]": item_id,
                "items[0][price]": "price_finhub_professional_monthly",
                "proration_behavior": "always_invoice",
            },
        ),
    )

    types = [event["type"] for event in events]
    assert types[:4] == [
        "invoiceitem.created",
        "invoiceitem.created",
        "invoice.created",
        "customer.subscription.updated",
    ]
    assert types[-2:] == ["invoice.paid", "invoice.payment_succeeded"]
    updated = events[3]["data"]
    assert (
        updated["object"]["items"]["data"][0]["price"]["id"] == "price_finhub_professional_monthly"
    )
    assert updated["previous_attributes"]["items"]["data"][0]["price"]["id"] == (
        "price_finhub_starter_monthly"
    )
    invoice = events[-1]["data"]["object"]
    assert invoice["billing_reason"] == "subscription_update"
    credit, charge = invoice["lines"]["data"]
    assert credit["parent"]["subscription_item_details"]["proration"] is True
    assert -2900 <= credit["amount"] < 0
    assert 0 < charge["amount"] <= 7900
    assert invoice["amount_paid"] == credit["amount"] + charge["amount"] > 0
    invoice_items = [event["data"]["object"] for event in events[:2]]
    assert [each["amount"] for each in invoice_items] == [credit["amount"], charge["amount"]]
    assert [
        line["parent"]["subscription_item_details"]["invoice_item"] for line in (credit, charge)
    ] == [each["id"] for each in invoice_items]
    billed = await stripe_http.get("/v1/invoiceitems", params={"invoice": invoice["id"]})
    assert len(billed.json()["data"]) == 2


async def test_a_change_with_default_prorations_is_billed_on_the_next_renewal(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe(lookup_key="professional_monthly")
    subscription = await _subscription(stripe_http, paid["subscription"])
    item_id = subscription["items"]["data"][0]["id"]
    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 10})

    changes = await _events_after(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/v1/subscriptions/{subscription['id']}",
            data={"items[0][id]": item_id, "items[0][price]": "price_finhub_enterprise_monthly"},
        ),
    )
    assert [event["type"] for event in changes] == [
        "invoiceitem.created",
        "invoiceitem.created",
        "customer.subscription.updated",
    ]
    assert changes[-1]["data"]["object"]["latest_invoice"] == paid["invoice"]
    pending = await stripe_http.get(
        "/v1/invoiceitems", params={"customer": paid["customer"], "pending": "true"}
    )
    assert len(pending.json()["data"]) == 2
    renewal = await stripe_http.post("/_sandbox/stripe/advance", json={"days": 25})

    renewed = await _subscription(stripe_http, subscription["id"])
    invoice = (await stripe_http.get(f"/v1/invoices/{renewed['latest_invoice']}")).json()
    amounts = [line["amount"] for line in invoice["lines"]["data"]]
    prorations = [
        line["parent"]["subscription_item_details"]["proration"]
        for line in invoice["lines"]["data"]
    ]
    assert prorations == [True, True, False]
    assert amounts[0] < 0 < amounts[1]
    assert amounts[2] == 19900
    assert invoice["status"] == "paid"
    await sandbox_app.state.webhooks.drain()
    [upcoming] = [
        event["data"]["object"]
        for event in webhook_inbox.events()
        if event["type"] == "invoice.upcoming"
    ]
    assert upcoming["amount_due"] == invoice["amount_due"] == sum(amounts)
    assert "invoice.upcoming" in renewal.json()["events"]
    billed = await stripe_http.get("/v1/invoiceitems", params={"invoice": invoice["id"]})
    assert len(billed.json()["data"]) == 2


async def test_monthly_to_yearly_restarts_the_period_and_invoices_now(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe(lookup_key="starter_monthly")
    subscription = await _subscription(stripe_http, paid["subscription"])
    item_id = subscription["items"]["data"][0]["id"]

    changed = (
        await stripe_http.post(
            f"/v1/subscriptions/{subscription['id']}",
            data={"items[0][id]": item_id, "items[0][price]": "price_finhub_starter_yearly"},
        )
    ).json()

    [item] = changed["items"]["data"]
    assert item["current_period_end"] - item["current_period_start"] >= 365 * DAY
    invoice = (await stripe_http.get(f"/v1/invoices/{changed['latest_invoice']}")).json()
    assert invoice["billing_reason"] == "subscription_update"
    assert invoice["lines"]["data"][-1]["amount"] == 29000
    assert invoice["status"] == "paid"


async def test_cancel_at_period_end_ends_it_when_the_period_ends(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    subscription_id = paid["subscription"]

    events = await _events_after(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/v1/subscriptions/{subscription_id}", data={"cancel_at_period_end": "true"}
        ),
    )
    assert [event["type"] for event in events] == ["customer.subscription.updated"]
    assert events[0]["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert (await _subscription(stripe_http, subscription_id))["status"] == "active"

    ended = await _events_after(
        sandbox_app,
        webhook_inbox,
        stripe_http.post("/_sandbox/stripe/advance", json={"days": 40}),
    )

    assert [event["type"] for event in ended] == ["customer.subscription.deleted"]
    assert ended[0]["request"]["id"] is None
    final = await _subscription(stripe_http, subscription_id)
    assert final["status"] == "canceled"
    assert final["cancellation_details"]["reason"] == "cancellation_requested"


async def test_cancel_at_period_end_can_be_taken_back(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()
    url = f"/v1/subscriptions/{paid['subscription']}"
    await stripe_http.post(url, data={"cancel_at_period_end": "true"})

    kept = (await stripe_http.post(url, data={"cancel_at_period_end": "false"})).json()
    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 40})

    assert kept["cancel_at"] is None
    assert (await _subscription(stripe_http, paid["subscription"]))["status"] == "active"


async def test_cancel_now_deletes_at_once_and_hides_it_from_the_default_list(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()

    events = await _events_after(
        sandbox_app,
        webhook_inbox,
        stripe_http.delete(f"/v1/subscriptions/{paid['subscription']}"),
    )

    assert [event["type"] for event in events] == ["customer.subscription.deleted"]
    assert events[0]["request"]["id"] is not None
    assert events[0]["data"]["object"]["ended_at"] is not None
    assert (await stripe_http.get("/v1/subscriptions")).json()["data"] == []
    all_of_them = (await stripe_http.get("/v1/subscriptions", params={"status": "all"})).json()
    assert [each["status"] for each in all_of_them["data"]] == ["canceled"]
    again = await stripe_http.post(f"/v1/subscriptions/{paid['subscription']}", data={})
    assert again.status_code == 400


async def test_pause_stops_renewals_and_resume_starts_a_new_paid_period(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    subscription_id = paid["subscription"]

    paused = await _events_after(
        sandbox_app, webhook_inbox, stripe_http.post(f"/v1/subscriptions/{subscription_id}/pause")
    )
    idle = await _events_after(
        sandbox_app, webhook_inbox, stripe_http.post("/_sandbox/stripe/advance", json={"days": 45})
    )
    resumed = await _events_after(
        sandbox_app, webhook_inbox, stripe_http.post(f"/v1/subscriptions/{subscription_id}/resume")
    )

    assert [event["type"] for event in paused] == [
        "customer.subscription.paused",
        "customer.subscription.updated",
    ]
    assert idle == []
    resumed_types = [event["type"] for event in resumed]
    assert resumed_types[:3] == [
        "invoice.created",
        "customer.subscription.resumed",
        "customer.subscription.updated",
    ]
    assert "invoice.paid" in resumed_types
    assert (await _subscription(stripe_http, subscription_id))["status"] == "active"


async def test_resuming_an_active_subscription_is_refused(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()

    response = await stripe_http.post(f"/v1/subscriptions/{paid['subscription']}/resume")

    assert response.status_code == 400


async def test_pause_collection_voids_renewal_invoices_until_cleared(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()
    url = f"/v1/subscriptions/{paid['subscription']}"
    await stripe_http.post(url, data={"pause_collection[behavior]": "void"})

    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 32})
    voided = (await _subscription(stripe_http, paid["subscription"]))["latest_invoice"]
    await stripe_http.post(url, data={"pause_collection": ""})
    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 31})
    collected = (await _subscription(stripe_http, paid["subscription"]))["latest_invoice"]

    assert (await stripe_http.get(f"/v1/invoices/{voided}")).json()["status"] == "void"
    assert (await stripe_http.get(f"/v1/invoices/{collected}")).json()["status"] == "paid"


async def test_metadata_updates_are_merged(stripe_http: httpx.AsyncClient, subscribe: Any) -> None:
    paid = await subscribe()

    updated = await stripe_http.post(
        f"/v1/subscriptions/{paid['subscription']}",
        data={"metadata[plan_change]": "requested"},
    )

    assert updated.json()["metadata"] == {"company_id": "company-1", "plan_change": "requested"}


async def test_portal_session_points_to_a_page_that_can_cancel(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()

    portal = (
        await stripe_http.post(
            "/v1/billing_portal/sessions",
            data={"customer": paid["customer"], "return_url": "https://app.example/settings"},
        )
    ).json()
    page = await stripe_http.get(f"/billing_portal/{portal['id']}")
    await stripe_http.post(
        f"/billing_portal/{portal['id']}/subscriptions/{paid['subscription']}",
        content="action=cancel",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert portal["object"] == "billing_portal.session"
    assert portal["url"].endswith(f"/billing_portal/{portal['id']}")
    assert "Cancel at period end" in page.text
    assert (await _subscription(stripe_http, paid["subscription"]))["cancel_at_period_end"] is True
