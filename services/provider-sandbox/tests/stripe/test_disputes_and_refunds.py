"""Refunds, disputes, early fraud warnings and automatic card updates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]


async def _paid_charge(http: httpx.AsyncClient, subscribe: Any) -> Json:
    paid = await subscribe()
    charges = (await http.get("/v1/charges", params={"customer": paid["customer"]})).json()
    charge: Json = charges["data"][0]
    return charge


async def _types_during(app: FastAPI, inbox: Any, action: Any) -> list[str]:
    await app.state.webhooks.drain()
    inbox.clear()
    response = await action
    assert response.status_code < 300, response.text
    await app.state.webhooks.drain()
    types: list[str] = inbox.types()
    return types


async def test_a_partial_then_full_refund(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    charge = await _paid_charge(stripe_http, subscribe)

    types = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            "/v1/refunds",
            data={"charge": charge["id"], "amount": "1000", "reason": "requested_by_customer"},
        ),
    )
    rest = await stripe_http.post("/v1/refunds", data={"payment_intent": charge["payment_intent"]})
    too_much = await stripe_http.post("/v1/refunds", data={"charge": charge["id"]})

    assert types == ["charge.refunded", "refund.created"]
    assert rest.json()["amount"] == charge["amount"] - 1000
    refunded = (await stripe_http.get(f"/v1/charges/{charge['id']}")).json()
    assert (refunded["amount_refunded"], refunded["refunded"]) == (charge["amount"], True)
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "charge_already_refunded"
    listed = (await stripe_http.get("/v1/refunds", params={"charge": charge["id"]})).json()
    assert len(listed["data"]) == 2


async def test_refunding_more_than_was_charged_is_refused(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    charge = await _paid_charge(stripe_http, subscribe)

    response = await stripe_http.post(
        "/v1/refunds", data={"charge": charge["id"], "amount": str(charge["amount"] + 1)}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_too_large"


async def test_a_dispute_from_opening_to_a_won_close(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    charge = await _paid_charge(stripe_http, subscribe)

    opened = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post("/_sandbox/stripe/disputes", json={"charge": charge["id"]}),
    )
    dispute = webhook_inbox.events()[0]["data"]["object"]
    evidence = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/v1/disputes/{dispute['id']}",
            data={"evidence[uncategorized_text]": "Customer used the service all month."},
        ),
    )
    closed = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/_sandbox/stripe/disputes/{dispute['id']}/close", json={"status": "won"}
        ),
    )

    assert opened == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == (
        "needs_response",
        "fraudulent",
        charge["amount"],
    )
    assert evidence == ["charge.dispute.updated"]
    assert closed == ["charge.dispute.closed", "charge.dispute.funds_reinstated"]
    final = (await stripe_http.get(f"/v1/disputes/{dispute['id']}")).json()
    assert final["status"] == "won"
    assert final["evidence_details"]["submission_count"] == 1
    assert (await stripe_http.get(f"/v1/charges/{charge['id']}")).json()["disputed"] is True


async def test_accepting_a_dispute_loses_it_and_a_closed_dispute_stays_closed(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    charge = await _paid_charge(stripe_http, subscribe)
    dispute = (
        await stripe_http.post(
            "/_sandbox/stripe/disputes", json={"charge": charge["id"], "reason": "general"}
        )
    ).json()

    accepted = await stripe_http.post(f"/v1/disputes/{dispute['id']}/close")
    again = await stripe_http.post(f"/v1/disputes/{dispute['id']}/close")

    assert accepted.json()["status"] == "lost"
    assert again.status_code == 400


async def test_an_early_fraud_warning_stops_being_actionable_once_refunded(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    charge = await _paid_charge(stripe_http, subscribe)

    raised = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post("/_sandbox/stripe/early_fraud_warnings", json={"charge": charge["id"]}),
    )
    warning = webhook_inbox.events()[0]["data"]["object"]
    refunded = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post("/v1/refunds", data={"charge": charge["id"], "reason": "fraudulent"}),
    )

    assert raised == ["radar.early_fraud_warning.created"]
    assert warning["id"].startswith("issfr_")
    assert (warning["actionable"], warning["fraud_type"]) == (True, "made_with_stolen_card")
    assert refunded == ["charge.refunded", "refund.created", "radar.early_fraud_warning.updated"]
    after = (await stripe_http.get(f"/v1/radar/early_fraud_warnings/{warning['id']}")).json()
    assert after["actionable"] is False


async def test_disputing_an_unknown_charge_is_a_404(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.post("/_sandbox/stripe/disputes", json={"charge": "ch_missing"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


async def test_an_expiring_card_is_updated_automatically(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any, subscribe: Any
) -> None:
    paid = await subscribe()
    subscription = (await stripe_http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    method_id = subscription["default_payment_method"]

    types = await _types_during(
        sandbox_app,
        webhook_inbox,
        stripe_http.post(
            f"/_sandbox/stripe/payment_methods/{method_id}/automatically_update",
            json={"exp_month": 6, "exp_year": 2031, "last4": "1881"},
        ),
    )

    assert types == ["payment_method.automatically_updated"]
    event = webhook_inbox.events()[0]
    assert event["data"]["previous_attributes"]["card"]["last4"] == "4242"
    card = (await stripe_http.get(f"/v1/payment_methods/{method_id}")).json()["card"]
    assert (card["exp_month"], card["exp_year"], card["last4"]) == (6, 2031, "1881")
