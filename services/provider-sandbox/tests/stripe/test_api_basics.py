"""Authentication, error shapes, customers, the seeded catalog, lists and events."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio


async def test_missing_api_key_gets_stripes_401(sandbox_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/v1/customers")

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "key", ["sk_live_abcdefghijklmnop", "pk_test_abcdefghijklmnop", "sk_test_"]
)
async def test_a_key_that_is_not_a_secret_test_key_is_refused_without_echoing_it(
    sandbox_app: FastAPI, key: str
) -> None:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/v1/customers", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Invalid API Key provided")
    assert key not in response.text or len(key) <= 8


async def test_unknown_ids_get_resource_missing(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.get("/v1/subscriptions/sub_doesnotexist")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such subscription: 'sub_doesnotexist'",
            "param": "id",
        }
    }


async def test_unknown_paths_get_stripes_unrecognized_url(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.post("/v1/teleporters")

    assert response.status_code == 404
    assert (
        response.json()["error"]["message"] == "Unrecognized request URL (POST: /v1/teleporters)."
    )


async def test_missing_required_param_is_named(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.post("/v1/checkout/sessions", data={"mode": "subscription"})

    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "message": "Missing required param: line_items.",
        "param": "line_items",
    }


async def test_customer_create_update_and_delete_emit_their_events(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI
) -> None:
    created = await stripe_http.post(
        "/v1/customers", data={"email": "ana@example.com", "metadata[company_id]": "c-1"}
    )
    customer = created.json()
    assert customer["id"].startswith("cus_")
    assert customer["object"] == "customer"
    assert customer["livemode"] is False
    assert customer["metadata"] == {"company_id": "c-1"}

    updated = await stripe_http.post(f"/v1/customers/{customer['id']}", data={"name": "Ana"})
    assert updated.json()["name"] == "Ana"
    deleted = await stripe_http.delete(f"/v1/customers/{customer['id']}")
    assert deleted.json() == {"id": customer["id"], "object": "customer", "deleted": True}

    events = (await stripe_http.get("/v1/events")).json()["data"]
    assert [event["type"] for event in events] == [
        "customer.deleted",
        "customer.updated",
        "customer.created",
    ]
    assert events[1]["data"]["previous_attributes"] == {"name": None}
    assert events[1]["request"]["id"].startswith("req_")


async def test_the_three_plans_are_seeded_monthly_and_yearly(
    stripe_http: httpx.AsyncClient,
) -> None:
    response = await stripe_http.get("/v1/prices", params={"limit": "100"})

    amounts = {price["lookup_key"]: price["unit_amount"] for price in response.json()["data"]}
    assert amounts == {
        "starter_monthly": 2900,
        "starter_yearly": 29000,
        "professional_monthly": 7900,
        "professional_yearly": 79000,
        "enterprise_monthly": 19900,
        "enterprise_yearly": 199000,
    }


async def test_prices_filter_by_lookup_keys(stripe_http: httpx.AsyncClient) -> None:
    response = await stripe_http.get(
        "/v1/prices",
        params=[("lookup_keys[]", "starter_monthly"), ("lookup_keys[]", "enterprise_yearly")],
    )

    prices = response.json()["data"]
    assert sorted(price["lookup_key"] for price in prices) == [
        "enterprise_yearly",
        "starter_monthly",
    ]
    yearly = next(price for price in prices if price["lookup_key"] == "enterprise_yearly")
    assert yearly["recurring"]["interval"] == "year"
    assert yearly["currency"] == "brl"
    assert yearly["metadata"] == {"plan": "enterprise"}
    product = (await stripe_http.get(f"/v1/products/{yearly['product']}")).json()
    assert product["metadata"] == {"plan": "enterprise"}


async def test_lists_page_with_starting_after(stripe_http: httpx.AsyncClient) -> None:
    for index in range(5):
        await stripe_http.post("/v1/customers", data={"email": f"c{index}@example.com"})

    first = (await stripe_http.get("/v1/customers", params={"limit": "3"})).json()
    rest = (
        await stripe_http.get(
            "/v1/customers", params={"limit": "3", "starting_after": first["data"][-1]["id"]}
        )
    ).json()

    emails = [c["email"] for c in first["data"] + rest["data"]]
    assert emails == [f"c{index}@example.com" for index in (4, 3, 2, 1, 0)]
    assert first["has_more"] is True
    assert rest["has_more"] is False
    assert first["object"] == "list"


async def test_expand_replaces_ids_with_objects(stripe_http: httpx.AsyncClient) -> None:
    price = (
        await stripe_http.get(
            "/v1/prices/price_finhub_starter_monthly", params={"expand[]": "product"}
        )
    ).json()

    assert price["product"]["object"] == "product"
    assert price["product"]["name"] == "Finance Hub Starter"
