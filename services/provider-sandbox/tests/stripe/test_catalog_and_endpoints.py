"""Products, prices and webhook endpoints made and changed through the API, as an operator's
setup (`finhub-billing stripe-setup`) does at Stripe; and an account that starts empty."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from provider_sandbox.config import get_settings
from provider_sandbox.main import create_app

from .conftest import Json, WebhookInbox, drain

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def empty_sandbox(
    monkeypatch: pytest.MonkeyPatch, webhook_inbox: WebhookInbox
) -> AsyncIterator[FastAPI]:
    """A sandbox started with SANDBOX_STRIPE_EMPTY_ACCOUNT."""
    monkeypatch.setenv("SANDBOX_STRIPE_EMPTY_ACCOUNT", "true")
    get_settings.cache_clear()
    app = create_app(webhook_transport=httpx.MockTransport(webhook_inbox.receive))
    try:
        async with LifespanManager(app):
            yield app
    finally:
        get_settings.cache_clear()


@pytest_asyncio.fixture
async def empty_http(empty_sandbox: FastAPI, api_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """Its Stripe API."""
    transport = httpx.ASGITransport(app=empty_sandbox)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        yield http


async def _product(http: httpx.AsyncClient, **extra: str) -> Json:
    response = await http.post("/v1/products", data={"name": "Finance Hub Starter", **extra})
    assert response.status_code == 200, response.text
    product: Json = response.json()
    return product


async def _price(
    http: httpx.AsyncClient, product: str, amount: int, **extra: str
) -> httpx.Response:
    return await http.post(
        "/v1/prices",
        data={
            "product": product,
            "currency": "BRL",
            "unit_amount": str(amount),
            "recurring[interval]": "month",
            **extra,
        },
    )


async def test_an_empty_account_has_no_product_price_or_endpoint(
    empty_http: httpx.AsyncClient,
) -> None:
    for path in ("/v1/products", "/v1/prices", "/v1/webhook_endpoints"):
        assert (await empty_http.get(path)).json()["data"] == [], path


async def test_a_product_with_our_id_is_made_once(stripe_http: httpx.AsyncClient) -> None:
    made = await _product(stripe_http, id="prod_finhub_extra", **{"metadata[plan]": "extra"})
    again = await stripe_http.post("/v1/products", data={"id": "prod_finhub_extra", "name": "x"})
    listed = await stripe_http.get(
        "/v1/products", params={"ids[]": ["prod_finhub_extra", "prod_finhub_starter"]}
    )

    assert (made["id"], made["metadata"], made["active"]) == (
        "prod_finhub_extra",
        {"plan": "extra"},
        True,
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "resource_already_exists"
    assert sorted(p["id"] for p in listed.json()["data"]) == [
        "prod_finhub_extra",
        "prod_finhub_starter",
    ]


async def test_a_product_is_renamed_archived_and_events_say_so(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: WebhookInbox
) -> None:
    product = await _product(stripe_http)

    updated = await stripe_http.post(
        f"/v1/products/{product['id']}", data={"name": "Starter", "active": "false"}
    )
    missing = await stripe_http.post("/v1/products/prod_nothing", data={"name": "x"})
    await drain(sandbox_app)

    assert (updated.json()["name"], updated.json()["active"]) == ("Starter", False)
    assert missing.status_code == 404
    assert webhook_inbox.types()[-2:] == ["product.created", "product.updated"]
    previous = webhook_inbox.events()[-1]["data"]["previous_attributes"]
    assert previous == {"name": "Finance Hub Starter", "active": True}


async def test_a_recurring_price_with_a_lookup_key_is_found_by_it(
    stripe_http: httpx.AsyncClient,
) -> None:
    product = await _product(stripe_http)

    made = await _price(
        stripe_http, product["id"], 3900, lookup_key="extra_monthly", **{"metadata[plan]": "x"}
    )
    found = await stripe_http.get("/v1/prices", params={"lookup_keys[]": "extra_monthly"})

    assert made.status_code == 200, made.text
    price = made.json()
    assert (price["unit_amount"], price["currency"], price["type"]) == (3900, "brl", "recurring")
    assert price["recurring"]["interval"] == "month"
    assert price["product"] == product["id"]
    assert [each["id"] for each in found.json()["data"]] == [price["id"]]


async def test_a_lookup_key_in_use_moves_only_when_transferred(
    stripe_http: httpx.AsyncClient,
) -> None:
    old = (await stripe_http.get("/v1/prices", params={"lookup_keys[]": "starter_monthly"})).json()
    [old_price] = old["data"]

    refused = await _price(stripe_http, "prod_finhub_starter", 3900, lookup_key="starter_monthly")
    moved = await _price(
        stripe_http,
        "prod_finhub_starter",
        3900,
        lookup_key="starter_monthly",
        transfer_lookup_key="true",
    )
    found = await stripe_http.get("/v1/prices", params={"lookup_keys[]": "starter_monthly"})
    old_now = await stripe_http.get(f"/v1/prices/{old_price['id']}")

    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "lookup_key"
    assert old_price["id"] in refused.json()["error"]["message"]
    assert [each["id"] for each in found.json()["data"]] == [moved.json()["id"]]
    assert old_now.json()["lookup_key"] is None


async def test_a_price_is_archived_unless_it_is_its_products_default(
    stripe_http: httpx.AsyncClient,
) -> None:
    default = "price_finhub_starter_monthly"
    yearly = "price_finhub_starter_yearly"

    refused = await stripe_http.post(f"/v1/prices/{default}", data={"active": "false"})
    archived = await stripe_http.post(f"/v1/prices/{yearly}", data={"active": "false"})
    moved = await stripe_http.post(
        "/v1/products/prod_finhub_starter",
        data={"default_price": "price_finhub_professional_monthly"},
    )
    still_active = await stripe_http.get(
        "/v1/prices", params={"product": "prod_finhub_starter", "active": "true"}
    )

    assert refused.status_code == 400
    assert "default price" in refused.json()["error"]["message"]
    assert archived.json()["active"] is False
    assert moved.status_code == 400
    assert [each["id"] for each in still_active.json()["data"]] == [default]


async def test_a_price_takes_a_new_lookup_key_or_loses_it(stripe_http: httpx.AsyncClient) -> None:
    price = "price_finhub_starter_yearly"

    renamed = await stripe_http.post(f"/v1/prices/{price}", data={"lookup_key": "starter_annual"})
    taken = await stripe_http.post(f"/v1/prices/{price}", data={"lookup_key": "starter_monthly"})
    cleared = await stripe_http.post(f"/v1/prices/{price}", data={"lookup_key": ""})

    assert renamed.json()["lookup_key"] == "starter_annual"
    assert taken.status_code == 400
    assert cleared.json()["lookup_key"] is None


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"currency": "brl", "unit_amount": "100"}, "product"),
        ({"product": "prod_finhub_starter", "currency": "brl"}, "unit_amount"),
        ({"product": "prod_finhub_starter", "unit_amount": "100"}, "currency"),
        (
            {
                "product": "prod_finhub_starter",
                "currency": "brl",
                "unit_amount": "100",
                "recurring[interval]": "fortnight",
            },
            "recurring[interval]",
        ),
        ({"product": "prod_nothing", "currency": "brl", "unit_amount": "100"}, "product"),
    ],
)
async def test_a_price_without_what_it_needs_is_refused(
    stripe_http: httpx.AsyncClient, data: dict[str, str], param: str
) -> None:
    response = await stripe_http.post("/v1/prices", data=data)

    assert response.status_code in (400, 404)
    assert response.json()["error"]["param"] == param


async def test_an_endpoint_gets_the_events_it_enabled_and_only_them(
    empty_http: httpx.AsyncClient, empty_sandbox: FastAPI, webhook_inbox: WebhookInbox
) -> None:
    app = empty_sandbox
    await _product(empty_http)
    await drain(app)
    assert webhook_inbox.requests == []  # no endpoint yet: nothing delivered

    made = await empty_http.post(
        "/v1/webhook_endpoints",
        data={
            "url": "https://hooks.example.com/webhooks/stripe",
            "enabled_events[]": ["customer.created", "price.created"],
        },
    )
    endpoint = made.json()
    await empty_http.post("/v1/customers", data={"email": "ana@example.com"})
    await _product(empty_http)
    await drain(app)

    assert made.status_code == 200, made.text
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["status"] == "enabled"
    assert webhook_inbox.types() == ["customer.created"]
    assert str(webhook_inbox.requests[0].url) == "https://hooks.example.com/webhooks/stripe"
    shown = await empty_http.get(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert "secret" not in shown.json()


async def test_an_endpoint_is_changed_disabled_and_deleted(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI, webhook_inbox: WebhookInbox
) -> None:
    [seeded] = (await stripe_http.get("/v1/webhook_endpoints")).json()["data"]
    assert (seeded["enabled_events"], seeded["status"]) == (["*"], "enabled")

    narrowed = await stripe_http.post(
        f"/v1/webhook_endpoints/{seeded['id']}", data={"enabled_events[]": ["invoice.paid"]}
    )
    await stripe_http.post("/v1/customers", data={"email": "a@example.com"})
    disabled = await stripe_http.post(
        f"/v1/webhook_endpoints/{seeded['id']}",
        data={"disabled": "true", "enabled_events[]": ["customer.created"]},
    )
    await stripe_http.post("/v1/customers", data={"email": "b@example.com"})
    deleted = await stripe_http.delete(f"/v1/webhook_endpoints/{seeded['id']}")
    await drain(sandbox_app)

    assert narrowed.json()["enabled_events"] == ["invoice.paid"]
    assert disabled.json()["status"] == "disabled"
    assert deleted.json() == {"id": seeded["id"], "object": "webhook_endpoint", "deleted": True}
    assert webhook_inbox.requests == []
    assert (await stripe_http.get("/v1/webhook_endpoints")).json()["data"] == []
    missing = await stripe_http.get(f"/v1/webhook_endpoints/{seeded['id']}")
    assert missing.json()["error"]["message"] == f"No such webhook_endpoint: '{seeded['id']}'"


@pytest.mark.parametrize(
    "data",
    [
        {"enabled_events[]": ["invoice.paid"]},
        {"url": "ftp://hooks.example.com", "enabled_events[]": ["invoice.paid"]},
        {"url": "https://hooks.example.com"},
        {"url": "https://hooks.example.com", "enabled_events[]": ["*", "invoice.paid"]},
    ],
)
async def test_an_endpoint_without_url_or_events_is_refused(
    stripe_http: httpx.AsyncClient, data: dict[str, object]
) -> None:
    response = await stripe_http.post("/v1/webhook_endpoints", data=data)

    assert response.status_code == 400
    assert response.json()["error"]["param"] in ("url", "enabled_events")
