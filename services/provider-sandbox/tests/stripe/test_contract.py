"""The sandbox answers the Stripe calls billing makes in the shapes Stripe documents (the fact
sheet, shared/reference/providers.md §2.1, §2.7 and §3, for API version 2026-10-28.endive), so
the stand-in cannot drift from what billing reads.

The facts are written down below as an OpenAPI document of those calls, and every answer is
checked against it with schemathesis, as the Pluggy half is checked against Pluggy's own document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.specs.openapi.schemas import OpenApiSchema

from .conftest import Subscribe, price_for

pytestmark = pytest.mark.asyncio

Json = dict[str, Any]


def _object(kind: str, required: list[str], **properties: Json) -> Json:
    """A Stripe object: its `object` names its kind, `id` and the `required` fields are present."""
    return {
        "type": "object",
        "required": ["id", "object", *required],
        "properties": {"id": {"type": "string"}, "object": {"const": kind}, **properties},
    }


def _enum(*values: str | None) -> Json:
    return {"enum": list(values)}


def _list(item: Json) -> Json:
    return {
        "type": "object",
        "required": ["object", "data", "has_more"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": item}},
    }


ID_OR_NULL = {"type": ["string", "null"]}
TIMESTAMP = {"type": "integer"}
TIMESTAMP_OR_NULL = {"type": ["integer", "null"]}

CUSTOMER = _object("customer", ["email", "metadata"], email={"type": ["string", "null"]})
PRICE = _object(
    "price",
    ["lookup_key", "unit_amount", "currency", "recurring"],
    lookup_key={"type": ["string", "null"]},
    unit_amount={"type": "integer"},
)
# §2.1: status, payment_status, mode and the ids billing links the session by.
CHECKOUT_SESSION = _object(
    "checkout.session",
    ["status", "payment_status", "mode", "customer", "subscription", "invoice", "url"],
    status=_enum("open", "complete", "expired"),
    payment_status=_enum("paid", "unpaid", "no_payment_required"),
    mode=_enum("payment", "setup", "subscription"),
    customer=ID_OR_NULL,
    subscription=ID_OR_NULL,
    invoice=ID_OR_NULL,
    payment_intent=ID_OR_NULL,
    client_reference_id=ID_OR_NULL,
    metadata={"type": "object"},
    url={"type": ["string", "null"]},
    expires_at=TIMESTAMP,
)
SUBSCRIPTION_ITEM = _object(
    "subscription_item",
    ["current_period_start", "current_period_end", "price"],
    current_period_start=TIMESTAMP,
    current_period_end=TIMESTAMP,
    price=PRICE,
)
# §2.7: the status enum; since basil the period is on the items and no longer on the subscription.
SUBSCRIPTION = {
    **_object(
        "subscription",
        ["status", "customer", "items", "cancel_at_period_end", "latest_invoice", "metadata"],
        status=_enum(
            "incomplete",
            "incomplete_expired",
            "trialing",
            "active",
            "past_due",
            "canceled",
            "unpaid",
            "paused",
        ),
        cancel_at_period_end={"type": "boolean"},
        cancel_at=TIMESTAMP_OR_NULL,
        canceled_at=TIMESTAMP_OR_NULL,
        ended_at=TIMESTAMP_OR_NULL,
        trial_end=TIMESTAMP_OR_NULL,
        latest_invoice=ID_OR_NULL,
        items=_list(SUBSCRIPTION_ITEM),
    ),
    "not": {
        "anyOf": [{"required": ["current_period_start"]}, {"required": ["current_period_end"]}]
    },
}
INVOICE_PAYMENT = _object(
    "invoice_payment",
    ["amount_paid", "status", "payment"],
    payment={"type": "object", "required": ["type"]},
)
# §2.7: status and billing_reason enums; the subscription under parent.subscription_details and
# the payments in `payments` (basil removed `subscription`, `payment_intent` and `charge`).
INVOICE = {
    **_object(
        "invoice",
        ["status", "customer", "amount_due", "amount_paid", "attempt_count", "parent"],
        status=_enum("draft", "open", "paid", "uncollectible", "void"),
        billing_reason=_enum(
            "automatic_pending_invoice_item_invoice",
            "manual",
            "quote_accept",
            "subscription",
            "subscription_create",
            "subscription_cycle",
            "subscription_threshold",
            "subscription_update",
            "upcoming",
            None,
        ),
        amount_due={"type": "integer"},
        amount_paid={"type": "integer"},
        attempt_count={"type": "integer"},
        next_payment_attempt=TIMESTAMP_OR_NULL,
        hosted_invoice_url={"type": ["string", "null"]},
        parent={
            "type": ["object", "null"],
            "required": ["type"],
            "properties": {
                "type": _enum("subscription_details", "quote_details"),
                "subscription_details": {
                    "type": ["object", "null"],
                    "required": ["subscription"],
                },
            },
        },
        payments=_list(INVOICE_PAYMENT),
    ),
    "not": {
        "anyOf": [
            {"required": ["subscription"]},
            {"required": ["payment_intent"]},
            {"required": ["charge"]},
        ]
    },
}
PORTAL_SESSION = _object("billing_portal.session", ["customer", "url"], url={"type": "string"})
# §2.5 and §3: refund statuses and reasons.
REFUND = _object(
    "refund",
    ["amount", "currency", "status", "payment_intent"],
    amount={"type": "integer"},
    status=_enum("pending", "succeeded", "failed", "canceled", "requires_action"),
    reason=_enum("duplicate", "fraudulent", "requested_by_customer", None),
    payment_intent=ID_OR_NULL,
)
BALANCE = {
    "type": "object",
    "required": ["object", "available", "pending", "livemode"],
    "properties": {"object": {"const": "balance"}},
}
WEBHOOK_ENDPOINT = _object(
    "webhook_endpoint",
    ["url", "status", "enabled_events"],
    url={"type": "string"},
    status=_enum("enabled", "disabled"),
    enabled_events={"type": "array", "items": {"type": "string"}},
)
# Only the answer that creates an endpoint holds its signing secret.
NEW_WEBHOOK_ENDPOINT = {
    **WEBHOOK_ENDPOINT,
    "required": [*WEBHOOK_ENDPOINT["required"], "secret"],
    "properties": {**WEBHOOK_ENDPOINT["properties"], "secret": {"type": "string"}},
}
PRODUCT = _object(
    "product",
    ["name", "active", "default_price", "metadata"],
    name={"type": "string"},
    active={"type": "boolean"},
    default_price=ID_OR_NULL,
    metadata={"type": "object"},
)
# §3: `{"error": {"type", "code", "message", "param"}}`; code and param only when they apply.
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "code": {"type": "string"},
                "param": {"type": "string"},
            },
        }
    },
}


def _answers(ok: Json) -> Json:
    return {
        "responses": {
            status: {"description": status, "content": {"application/json": {"schema": schema}}}
            for status, schema in (("200", ok), ("400", ERROR), ("402", ERROR), ("404", ERROR))
        }
    }


# Every call billing makes (`client.v1....`), by the path stripe-python sends it to.
CALLS = {
    "/v1/customers": {"post": _answers(CUSTOMER)},
    "/v1/prices": {"get": _answers(_list(PRICE)), "post": _answers(PRICE)},
    "/v1/prices/{id}": {"post": _answers(PRICE)},
    "/v1/products": {"get": _answers(_list(PRODUCT)), "post": _answers(PRODUCT)},
    "/v1/products/{id}": {"post": _answers(PRODUCT)},
    "/v1/checkout/sessions": {"post": _answers(CHECKOUT_SESSION)},
    "/v1/checkout/sessions/{id}": {"get": _answers(CHECKOUT_SESSION)},
    "/v1/checkout/sessions/{id}/expire": {"post": _answers(CHECKOUT_SESSION)},
    "/v1/billing_portal/sessions": {"post": _answers(PORTAL_SESSION)},
    "/v1/subscriptions/{id}": {
        "get": _answers(SUBSCRIPTION),
        "post": _answers(SUBSCRIPTION),
        "delete": _answers(SUBSCRIPTION),
    },
    "/v1/invoices/{id}": {"get": _answers(INVOICE)},
    "/v1/invoices/{id}/pay": {"post": _answers(INVOICE)},
    "/v1/refunds": {"post": _answers(REFUND)},
    "/v1/balance": {"get": _answers(BALANCE)},
    "/v1/webhook_endpoints": {
        "get": _answers(_list(WEBHOOK_ENDPOINT)),
        "post": _answers(NEW_WEBHOOK_ENDPOINT),
    },
    "/v1/webhook_endpoints/{id}": {"post": _answers(WEBHOOK_ENDPOINT)},
}


@cache
def _schema() -> OpenApiSchema:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "The Stripe calls billing makes", "version": "2026-10-28.endive"},
        "paths": CALLS,
    }
    schema: OpenApiSchema = schemathesis.openapi.from_dict(document)
    return schema


async def _checked(
    http: httpx.AsyncClient, method: str, operation: str, status: int = 200, /, **kwargs: Any
) -> Json:
    """Call `method path` (the operation's when `path=` is not given), expect `status`, and check
    the answer's shape; returns its JSON."""
    path = kwargs.pop("path", operation)
    response = await http.request(method, path, **kwargs)
    assert response.status_code == status, f"{method} {path}: {response.text}"
    _schema()[operation][method].validate_response(response)
    body: Json = response.json()
    return body


async def test_checkout_portal_and_prices(stripe_http: httpx.AsyncClient) -> None:
    customer = await _checked(stripe_http, "POST", "/v1/customers", data={"email": "a@b.com"})
    await _checked(stripe_http, "GET", "/v1/prices", params={"lookup_keys[]": "starter_monthly"})
    price = await price_for(stripe_http, "professional_monthly")
    session = await _checked(
        stripe_http,
        "POST",
        "/v1/checkout/sessions",
        data={
            "mode": "subscription",
            "customer": customer["id"],
            "line_items[0][price]": price["id"],
            "line_items[0][quantity]": "1",
            "success_url": "https://app.example/ok",
            "metadata[company_id]": "company-1",
        },
    )
    session_path = f"/v1/checkout/sessions/{session['id']}"
    await _checked(stripe_http, "GET", "/v1/checkout/sessions/{id}", path=session_path)
    await _checked(
        stripe_http, "POST", "/v1/checkout/sessions/{id}/expire", path=f"{session_path}/expire"
    )
    await _checked(
        stripe_http,
        "POST",
        "/v1/checkout/sessions/{id}/expire",
        400,
        path=f"{session_path}/expire",
    )
    await _checked(
        stripe_http,
        "POST",
        "/v1/billing_portal/sessions",
        data={"customer": customer["id"], "return_url": "https://app.example/settings"},
    )


async def test_a_paid_subscription_its_invoice_and_a_refund(
    stripe_http: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    paid = await subscribe()
    await _checked(
        stripe_http, "GET", "/v1/checkout/sessions/{id}", path=f"/v1/checkout/sessions/{paid['id']}"
    )
    subscription_path = f"/v1/subscriptions/{paid['subscription']}"
    await _checked(stripe_http, "GET", "/v1/subscriptions/{id}", path=subscription_path)
    await _checked(
        stripe_http,
        "POST",
        "/v1/subscriptions/{id}",
        path=subscription_path,
        data={"cancel_at_period_end": "true", "metadata[company_id]": "company-1"},
    )
    invoice = await _checked(
        stripe_http,
        "GET",
        "/v1/invoices/{id}",
        path=f"/v1/invoices/{paid['invoice']}",
        params={"expand[]": "payments"},
    )
    payment_intent = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    await _checked(
        stripe_http,
        "POST",
        "/v1/refunds",
        data={"payment_intent": payment_intent, "reason": "duplicate"},
        headers={"Idempotency-Key": "refund-1"},
    )
    await _checked(stripe_http, "DELETE", "/v1/subscriptions/{id}", path=subscription_path)
    await _checked(stripe_http, "DELETE", "/v1/subscriptions/{id}", 400, path=subscription_path)
    await _checked(stripe_http, "GET", "/v1/subscriptions/{id}", 404, path="/v1/subscriptions/x")


async def test_dunning_paying_an_open_invoice(
    stripe_http: httpx.AsyncClient, subscribe: Subscribe
) -> None:
    paid = await subscribe()
    card_path = f"/_sandbox/stripe/subscriptions/{paid['subscription']}/card"
    await stripe_http.post(card_path, json={"card_number": "4000000000000002"})
    await stripe_http.post("/_sandbox/stripe/advance", json={"days": 31})
    subscription = (await stripe_http.get(f"/v1/subscriptions/{paid['subscription']}")).json()
    pay_path = f"/v1/invoices/{subscription['latest_invoice']}/pay"

    declined = await _checked(stripe_http, "POST", "/v1/invoices/{id}/pay", 402, path=pay_path)
    await stripe_http.post(card_path, json={"card_number": "4242424242424242"})
    invoice = await _checked(stripe_http, "POST", "/v1/invoices/{id}/pay", path=pay_path)
    await _checked(stripe_http, "POST", "/v1/invoices/{id}/pay", 400, path=pay_path)

    assert (declined["error"]["type"], declined["error"]["code"]) == ("card_error", "card_declined")
    assert invoice["status"] == "paid"


async def test_the_setup_checks_billing_runs(
    stripe_http: httpx.AsyncClient, sandbox_app: FastAPI
) -> None:
    await _checked(stripe_http, "GET", "/v1/balance")
    await _checked(stripe_http, "GET", "/v1/webhook_endpoints", params={"limit": 100})


async def test_the_calls_of_stripe_setup(stripe_http: httpx.AsyncClient) -> None:
    products = "/v1/products"
    await _checked(stripe_http, "GET", products, params={"ids[]": ["prod_finhub_starter"]})
    await _checked(stripe_http, "POST", products, data={"id": "prod_finhub_extra", "name": "Extra"})
    await _checked(
        stripe_http, "POST", products, 400, data={"id": "prod_finhub_extra", "name": "x"}
    )
    await _checked(
        stripe_http,
        "POST",
        "/v1/products/{id}",
        path="/v1/products/prod_finhub_extra",
        data={"active": "false", "metadata[plan]": "extra"},
    )
    price = await _checked(
        stripe_http,
        "POST",
        "/v1/prices",
        data={
            "product": "prod_finhub_extra",
            "currency": "brl",
            "unit_amount": "100",
            "recurring[interval]": "month",
            "lookup_key": "starter_monthly",
            "transfer_lookup_key": "true",
        },
    )
    await _checked(
        stripe_http,
        "POST",
        "/v1/prices/{id}",
        path=f"/v1/prices/{price['id']}",
        data={"active": "false"},
    )
    await _checked(stripe_http, "GET", "/v1/prices", params={"product": "prod_finhub_extra"})
    endpoint = await _checked(
        stripe_http,
        "POST",
        "/v1/webhook_endpoints",
        data={"url": "https://hooks.example.com/stripe", "enabled_events[]": ["invoice.paid"]},
    )
    await _checked(
        stripe_http,
        "POST",
        "/v1/webhook_endpoints/{id}",
        path=f"/v1/webhook_endpoints/{endpoint['id']}",
        data={"enabled_events[]": ["invoice.paid", "invoice.created"], "disabled": "false"},
    )
