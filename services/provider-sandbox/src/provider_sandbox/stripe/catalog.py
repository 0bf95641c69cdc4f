"""Products and prices: the three plans, seeded at start-up, monthly and yearly."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.forms import optional_bool, optional_dict, optional_list, optional_str
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
        state.add(_product(state, product_id, code, name, default_price=monthly["id"]))


def _product(
    state: StripeState, product_id: str, code: str, name: str, default_price: str
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
        "metadata": {"plan": code},
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
    return state.add(
        {
            "id": f"price_finhub_{code}_{interval_name}",
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": state.now(),
            "currency": "brl",
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": f"{code}_{interval_name}",
            "metadata": {"plan": code},
            "nickname": f"{code.capitalize()} {interval_name}",
            "product": product_id,
            "recurring": {
                "interval": interval,
                "interval_count": 1,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }
    )


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
