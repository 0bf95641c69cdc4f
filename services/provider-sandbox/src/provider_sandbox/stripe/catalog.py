"""Products and prices: the three plans, seeded at start-up, monthly and yearly."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import parameter_missing
from provider_sandbox.stripe.forms import (
    Params,
    optional_bool,
    optional_dict,
    optional_int,
    optional_list,
    optional_str,
)
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import StripeObject, StripeState

router = APIRouter(dependencies=[Depends(require_api_key)])

Interval = Literal["month", "year"]

# (plan code, product name, monthly amount in BRL centavos); yearly costs ten months.
PLANS: tuple[tuple[str, str, int], ...] = (
    ("starter", "Finance Hub Starter", 2900),
    ("professional", "Finance Hub Professional", 7900),
    ("enterprise", "Finance Hub Enterprise", 19900),
)
YEARLY_MONTHS_CHARGED = 10
_INTERVAL_NAMES: dict[Interval, str] = {"month": "monthly", "year": "yearly"}


def seed_catalog(state: StripeState) -> None:
    """Add a product per plan with a monthly and a yearly price (ids are stable across runs)."""
    for code, name, monthly_amount in PLANS:
        product_id = f"prod_finhub_{code}"
        monthly = _price(state, product_id, code, "month", monthly_amount)
        _price(state, product_id, code, "year", monthly_amount * YEARLY_MONTHS_CHARGED)
        state.add(
            _product(state, product_id, name, default_price=monthly["id"], metadata={"plan": code})
        )


def inline_price(state: StripeState, price_data: Params, param: str) -> StripeObject:
    """The one-time price Stripe makes for a line item's `price_data` (with its product)."""
    unit_amount = optional_int(price_data, "unit_amount")
    if unit_amount is None:
        raise parameter_missing(f"{param}[unit_amount]")
    product_id = optional_str(price_data, "product")
    if product_id is not None:
        state.get(product_id, "product", f"{param}[product]")
    else:
        name = optional_str(optional_dict(price_data, "product_data") or {}, "name")
        if name is None:
            raise parameter_missing(f"{param}[product_data][name]")
        product_id = new_id("prod", 14)
        state.add(_product(state, product_id, name, default_price=None, metadata={}))
    price = _price_object(state, new_id("price"), product_id, unit_amount, recurring=None)
    price.update(active=False, currency=optional_str(price_data, "currency") or "brl")
    return state.add(price)


def _product(
    state: StripeState,
    product_id: str,
    name: str,
    default_price: str | None,
    metadata: dict[str, str],
) -> StripeObject:
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": state.now(),
        "default_price": default_price,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": metadata,
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": state.now(),
        "url": None,
    }


def _price(
    state: StripeState, product_id: str, code: str, interval: Interval, amount: int
) -> StripeObject:
    interval_name = _INTERVAL_NAMES[interval]
    recurring = {
        "interval": interval,
        "interval_count": 1,
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    price = _price_object(
        state, f"price_finhub_{code}_{interval_name}", product_id, amount, recurring
    )
    price.update(
        lookup_key=f"{code}_{interval_name}",
        metadata={"plan": code},
        nickname=f"{code.capitalize()} {interval_name}",
    )
    return state.add(price)


def _price_object(
    state: StripeState,
    price_id: str,
    product_id: str,
    amount: int,
    recurring: StripeObject | None,
) -> StripeObject:
    return {
        "id": price_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": state.now(),
        "currency": "brl",
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }


@router.get("/v1/products")
async def list_products(call: Call) -> JSONResponse:
    """Products newest first, optionally only active ones."""
    products = call.state.of_type("product")
    active = optional_bool(call.params, "active")
    if active is not None:
        products = [each for each in products if each["active"] is active]
    return call.respond_list(products, "/v1/products")


@router.get("/v1/products/{product_id}")
async def retrieve_product(product_id: str, call: Call) -> JSONResponse:
    """One product."""
    return call.respond(call.state.get(product_id, "product"))


@router.get("/v1/prices")
async def list_prices(call: Call) -> JSONResponse:
    """Prices newest first, filtered by `lookup_keys[]`, `product`, `active`, `type`, interval."""
    prices = filter_by(call.state.of_type("price"), call.params, "product", "type", "currency")
    lookup_keys = [str(key) for key in optional_list(call.params, "lookup_keys")]
    if lookup_keys:
        prices = [each for each in prices if each["lookup_key"] in lookup_keys]
    active = optional_bool(call.params, "active")
    if active is not None:
        prices = [each for each in prices if each["active"] is active]
    interval = optional_str(optional_dict(call.params, "recurring") or {}, "interval")
    if interval is not None:
        prices = [each for each in prices if each["recurring"]["interval"] == interval]
    return call.respond_list(prices, "/v1/prices")


@router.get("/v1/prices/{price_id}")
async def retrieve_price(price_id: str, call: Call) -> JSONResponse:
    """One price."""
    return call.respond(call.state.get(price_id, "price"))
