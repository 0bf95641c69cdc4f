"""Idempotency keys honoured as Stripe honours them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio


async def test_same_key_and_params_replays_the_first_answer(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: Any
) -> None:
    headers = {"Idempotency-Key": "create-customer-1"}
    form = {"email": "ana@example.com", "metadata[company_id]": "c-1"}

    first = await stripe_http.post("/v1/customers", data=form, headers=headers)
    replay = await stripe_http.post(
        "/v1/customers", data=dict(reversed(list(form.items()))), headers=headers
    )

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len((await stripe_http.get("/v1/customers")).json()["data"]) == 1
    await sandbox_app.state.webhooks.drain()
    assert webhook_inbox.types() == ["customer.created"]


async def test_same_key_with_other_params_is_an_idempotency_error(
    stripe_http: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "create-customer-2"}
    await stripe_http.post("/v1/customers", data={"email": "ana@example.com"}, headers=headers)

    reused = await stripe_http.post(
        "/v1/customers", data={"email": "bia@example.com"}, headers=headers
    )

    assert reused.status_code == 400
    assert reused.json()["error"]["type"] == "idempotency_error"
    assert "create-customer-2" in reused.json()["error"]["message"]


async def test_same_key_on_another_endpoint_is_an_idempotency_error(
    stripe_http: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    await stripe_http.post("/v1/customers", data={}, headers=headers)

    other = await stripe_http.post("/v1/billing_portal/sessions", data={}, headers=headers)

    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


async def test_a_validation_error_is_not_saved_so_the_key_can_be_retried(
    stripe_http: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "checkout-1"}
    form = {"mode": "subscription", "line_items[0][price]": "price_finhub_starter_monthly"}
    customer = (await stripe_http.post("/v1/customers", data={})).json()

    rejected = await stripe_http.post(
        "/v1/checkout/sessions", data={**form, "customer": "cus_missing"}, headers=headers
    )
    fixed = await stripe_http.post(
        "/v1/checkout/sessions", data={**form, "customer": customer["id"]}, headers=headers
    )

    assert rejected.status_code == 404
    assert fixed.status_code == 200


async def test_a_card_error_is_saved_and_replayed_without_charging_again(
    stripe_http: httpx.AsyncClient, subscribe: Any
) -> None:
    paid = await subscribe()
    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 32, "renewal": "fail"})
    subscription = (await stripe_http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    invoice_id = subscription["latest_invoice"]
    await stripe_http.post(
        f"/_sandbox/stripe/invoices/{invoice_id}/pay", json={"card_number": "4000000000000002"}
    )
    headers = {"Idempotency-Key": "pay-invoice-now"}

    first = await stripe_http.post(f"/v1/invoices/{invoice_id}/pay", headers=headers)
    second = await stripe_http.post(f"/v1/invoices/{invoice_id}/pay", headers=headers)

    assert first.status_code == second.status_code == 402
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    invoice = (await stripe_http.get(f"/v1/invoices/{invoice_id}")).json()
    assert invoice["attempt_count"] == 3


async def test_concurrent_calls_with_one_key_create_one_object(
    stripe_http: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "concurrent"}

    answers = await asyncio.gather(
        *(
            stripe_http.post("/v1/customers", data={"email": "a@b.c"}, headers=headers)
            for _ in range(5)
        )
    )

    created = {answer.json()["id"] for answer in answers if answer.status_code == 200}
    assert len(created) == 1
    assert {answer.status_code for answer in answers} <= {200, 409}
    assert len((await stripe_http.get("/v1/customers")).json()["data"]) == 1
