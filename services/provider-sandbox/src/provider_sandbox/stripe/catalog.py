"""Products and prices: the three plans seeded at start-up (monthly and yearly), and
`/v1/products` and `/v1/prices` to make and change others as an operator does."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.api import Call, filter_by, require_api_key
from provider_sandbox.stripe.errors import (
    StripeApiError,
    invalid_param,
    invalid_state,
    parameter_missing,
)
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.forms import (
    Params,
    merge_metadata,
    optional_bool,
    optional_dict,
    optional_int,
    optional_list,
    optional_str,
    required_str,
)
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import (
    RequestInfo,
    StripeObject,
    StripeState,
    changed_attributes,
    snapshot,
)

router = APIRouter(dependencies=[Depends(require_api_key)])

Interval = Literal["month", "year"]
INTERVALS = ("day", "week", "month", "year")

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
    """Products newest first, optionally only active ones or those of `ids[]`."""
    products = call.state.of_type("product")
    ids = [str(each) for each in optional_list(call.params, "ids")]
    if ids:
        products = [each for each in products if each["id"] in ids]
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


@router.post("/v1/products")
async def create_product(call: Call) -> JSONResponse:
    """Create a product, with the caller's `id` if it gives one; emits `product.created`."""
    product_id = optional_str(call.params, "id") or new_id("prod", 14)
    if product_id in call.state.objects:
        raise StripeApiError(
            400, "Product already exists.", code="resource_already_exists", param="id"
        )
    product = _product(
        call.state, product_id, required_str(call.params, "name"), default_price=None, metadata={}
    )
    _apply_product(call.state, product, call.params)
    call.state.add(product)
    emit(call.state, "product.created", product, call.request)
    return call.respond(product)


@router.post("/v1/products/{product_id}")
async def update_product(product_id: str, call: Call) -> JSONResponse:
    """Change a product's name, `active`, description, metadata or `default_price`."""
    product = call.state.get(product_id, "product")
    before = snapshot(product)
    if "name" in call.params:
        product["name"] = required_str(call.params, "name")
    _apply_product(call.state, product, call.params)
    if "default_price" in call.params:
        product["default_price"] = _default_price(call.state, product, call.params)
    _changed(call.state, "product.updated", before, product, call.request)
    return call.respond(product)


def _apply_product(state: StripeState, product: StripeObject, params: Params) -> None:
    active = optional_bool(params, "active")
    if active is not None:
        product["active"] = active
    if "description" in params:
        product["description"] = optional_str(params, "description")
    product["metadata"] = merge_metadata(product["metadata"], optional_dict(params, "metadata"))
    product["updated"] = state.now()


def _default_price(state: StripeState, product: StripeObject, params: Params) -> str | None:
    price_id = optional_str(params, "default_price")
    if price_id is None:
        return None
    price = state.get(price_id, "price", "default_price")
    if price["product"] != product["id"] or not price["active"]:
        raise invalid_param(
            "default_price", "The default price must be an active price of the product."
        )
    return price_id


@router.post("/v1/prices")
async def create_price(call: Call) -> JSONResponse:
    """Create a price of a product; a `lookup_key` held by another price needs
    `transfer_lookup_key=true`, which moves it here. Emits `price.created`."""
    params = call.params
    product_id = required_str(params, "product")
    call.state.get(product_id, "product", "product")
    unit_amount = optional_int(params, "unit_amount")
    if unit_amount is None:
        raise parameter_missing("unit_amount")
    if unit_amount < 0:
        raise invalid_param("unit_amount", "Invalid unit_amount: must be at least 0.")
    price = _price_object(call.state, new_id("price"), product_id, unit_amount, _recurring(params))
    price.update(
        currency=required_str(params, "currency").lower(),
        nickname=optional_str(params, "nickname"),
        metadata=merge_metadata({}, optional_dict(params, "metadata")),
    )
    active = optional_bool(params, "active")
    if active is not None:
        price["active"] = active
    _take_lookup_key(call.state, price, params, call.request)
    call.state.add(price)
    emit(call.state, "price.created", price, call.request)
    return call.respond(price)


@router.post("/v1/prices/{price_id}")
async def update_price(price_id: str, call: Call) -> JSONResponse:
    """Change a price's `active`, `lookup_key`, nickname or metadata (never its amount)."""
    params = call.params
    price = call.state.get(price_id, "price")
    before = snapshot(price)
    active = optional_bool(params, "active")
    if active is False and _is_default_price(call.state, price):
        raise invalid_state(
            "This price cannot be archived because it is the default price of its product.",
            param="active",
        )
    if active is not None:
        price["active"] = active
    if "nickname" in params:
        price["nickname"] = optional_str(params, "nickname")
    price["metadata"] = merge_metadata(price["metadata"], optional_dict(params, "metadata"))
    _take_lookup_key(call.state, price, params, call.request)
    _changed(call.state, "price.updated", before, price, call.request)
    return call.respond(price)


def _recurring(params: Params) -> StripeObject | None:
    recurring = optional_dict(params, "recurring")
    if recurring is None:
        return None
    interval = optional_str(recurring, "interval")
    if interval is None:
        raise parameter_missing("recurring[interval]")
    if interval not in INTERVALS:
        raise invalid_param(
            "recurring[interval]",
            f"Invalid recurring[interval]: must be one of {', '.join(INTERVALS)}",
        )
    return {
        "interval": interval,
        "interval_count": optional_int(recurring, "interval_count") or 1,
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def _take_lookup_key(
    state: StripeState, price: StripeObject, params: Params, request: RequestInfo
) -> None:
    """Give `price` the `lookup_key` asked for ("" removes it), moving it from the price that
    holds it only when `transfer_lookup_key` is true, as Stripe does."""
    if "lookup_key" not in params:
        return
    lookup_key = optional_str(params, "lookup_key")
    holder = next(
        (
            each
            for each in state.of_type("price")
            if lookup_key is not None
            and each["lookup_key"] == lookup_key
            and each["id"] != price["id"]
        ),
        None,
    )
    if holder is not None:
        if optional_bool(params, "transfer_lookup_key") is not True:
            raise invalid_param(
                "lookup_key",
                f"A price (`{holder['id']}`) already uses that lookup key.",
            )
        before = snapshot(holder)
        holder["lookup_key"] = None
        _changed(state, "price.updated", before, holder, request)
    price["lookup_key"] = lookup_key


def _is_default_price(state: StripeState, price: StripeObject) -> bool:
    product = state.objects.get(price["product"])
    return product is not None and product.get("default_price") == price["id"]


def _changed(
    state: StripeState,
    event_type: str,
    before: StripeObject,
    after: StripeObject,
    request: RequestInfo,
) -> None:
    previous = changed_attributes(before, after)
    previous.pop("updated", None)
    if previous:
        emit(state, event_type, after, request, previous)
