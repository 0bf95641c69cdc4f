"""Customers: `/v1/customers`."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import resource_missing
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import Params, merge_metadata, optional_dict, optional_str
from provider_sandbox.stripe.ids import new_id, random_token
from provider_sandbox.stripe.state import (
    RequestInfo,
    StripeObject,
    StripeState,
    changed_attributes,
    snapshot,
)

router = APIRouter(dependencies=[Depends(require_api_key)])

_EDITABLE_TEXT = ("email", "name", "description", "phone")


def customer_details(email: str | None, name: str | None = None) -> StripeObject:
    """Who paid, as a completed checkout session shows it (`customer_details`)."""
    return {
        "address": None,
        "email": email,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def create_customer(state: StripeState, params: Params, request: RequestInfo) -> StripeObject:
    """A new customer from API parameters; emits `customer.created`."""
    customer: StripeObject = {
        "id": new_id("cus", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": state.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    _apply(customer, params)
    state.add(customer)
    emit(state, "customer.created", customer, request)
    return customer


def live_customer(state: StripeState, customer_id: str, param: str = "id") -> StripeObject:
    """A customer that exists and was not deleted, or Stripe's 404."""
    customer = state.get(customer_id, "customer", param)
    if customer.get("deleted"):
        raise resource_missing(customer_id, param)
    return customer


def update_customer(
    state: StripeState, customer: StripeObject, params: Params, request: RequestInfo
) -> StripeObject:
    """Apply API parameters; emits `customer.updated` when something changed."""
    before = snapshot(customer)
    _apply(customer, params)
    previous = changed_attributes(before, customer)
    if previous:
        emit(state, "customer.updated", customer, request, previous)
    return customer


def _apply(customer: StripeObject, params: Params) -> None:
    for name in _EDITABLE_TEXT:
        if name in params:
            customer[name] = optional_str(params, name)
    customer["metadata"] = merge_metadata(customer["metadata"], optional_dict(params, "metadata"))
    settings = optional_dict(params, "invoice_settings") or {}
    if "default_payment_method" in settings:
        default = optional_str(settings, "default_payment_method")
        customer["invoice_settings"] = {
            **customer["invoice_settings"],
            "default_payment_method": default,
        }


@router.post("/v1/customers")
async def create(call: Call) -> JSONResponse:
    """Create a customer."""
    return call.respond(create_customer(call.state, call.params, call.request))


@router.get("/v1/customers")
async def list_customers(call: Call) -> JSONResponse:
    """Customers newest first, optionally with one `email`."""
    customers = [each for each in call.state.of_type("customer") if not each.get("deleted")]
    return call.respond_list(filter_by(customers, call.params, "email"), "/v1/customers")


@router.get("/v1/customers/{customer_id}")
async def retrieve(customer_id: str, call: Call) -> JSONResponse:
    """One customer (a deleted one answers `{id, object, deleted: true}` as Stripe does)."""
    return call.respond(call.state.get(customer_id, "customer"))


@router.post("/v1/customers/{customer_id}")
async def update(customer_id: str, call: Call) -> JSONResponse:
    """Update a customer."""
    customer = live_customer(call.state, customer_id)
    return call.respond(update_customer(call.state, customer, call.params, call.request))


@router.delete("/v1/customers/{customer_id}")
async def delete(customer_id: str, call: Call) -> JSONResponse:
    """Delete a customer; emits `customer.deleted`."""
    customer = live_customer(call.state, customer_id)
    emit(call.state, "customer.deleted", customer, call.request)
    tombstone = {"id": customer_id, "object": "customer", "deleted": True}
    call.state.objects[customer_id] = tombstone
    return call.respond(tombstone)
