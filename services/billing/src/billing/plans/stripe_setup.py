"""`finhub-billing stripe-setup`: Stripe's products, prices and webhook endpoint made to match the
plans table and the events billing handles, without duplicates however often it runs.

Every plan has a product of its own id (`prod_finhub_<slug>`) and a monthly and a yearly price
found by the plan's lookup keys. A price's amount never changes at Stripe: a new amount is a new
price that takes the lookup key over, and the old one is archived. The webhook endpoint at the
gateway's URL listens to exactly the Stripe events of finhub_shared.catalogue.ROUTES.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import stripe
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import BillingSettings
from billing.plans import repository
from billing.plans.errors import StripeSetupFailed
from billing.stripe.payloads import Price, Product, StripeList, WebhookEndpoint
from finhub_shared.catalogue import ROUTES
from finhub_shared.logging import redact_text

Result = Literal["created", "updated", "archived", "unchanged"]
Interval = Literal["month", "year"]
ModelT = TypeVar("ModelT", bound=BaseModel)

PRODUCT_ID_PREFIX = "prod_finhub_"
# Stripe answers at most this many lookup keys per price list.
LOOKUP_KEYS_PER_LIST = 10
PAGE_SIZE = 100


def billing_events() -> list[str]:
    """The Stripe events billing handles: the webhook endpoint's `enabled_events`."""
    return sorted(route.event_type for route in ROUTES if route.source == "stripe")


def gateway_webhook_url(settings: BillingSettings) -> str:
    """Where Stripe delivers webhooks: the gateway's Stripe route on PUBLIC_WEBHOOK_BASE_URL."""
    return settings.public_webhook_base_url.rstrip("/") + "/webhooks/stripe"


@dataclass(frozen=True)
class PlanPrice:
    lookup_key: str
    interval: Interval
    unit_amount: int


@dataclass(frozen=True)
class PlanProduct:
    """One plan as Stripe should hold it."""

    slug: str
    name: str
    currency: str
    active: bool
    prices: tuple[PlanPrice, ...]

    @property
    def product_id(self) -> str:
        return PRODUCT_ID_PREFIX + self.slug


async def plan_products(session: AsyncSession) -> list[PlanProduct]:
    """Every plan of the plans table, withdrawn ones too (their products are archived)."""
    return [
        PlanProduct(
            slug=plan.slug,
            name=f"Finance Hub {plan.name}",
            currency=plan.currency.lower(),
            active=plan.is_active,
            prices=(
                PlanPrice(plan.stripe_lookup_key_monthly, "month", plan.price_monthly_cents),
                PlanPrice(plan.stripe_lookup_key_yearly, "year", plan.price_yearly_cents),
            ),
        )
        for plan in await repository.every_plan(session)
    ]


@dataclass(frozen=True)
class Change:
    """One row of the summary: what it is, which one, and what was done to it."""

    kind: str
    name: str
    result: Result
    detail: str


@dataclass
class SetupReport:
    """What a run did, row by row as it goes (so a failed run still shows what it did)."""

    changes: list[Change] = field(default_factory=list)
    # The new webhook endpoint's signing secret: Stripe shows it only in the answer that creates it.
    signing_secret: str | None = None

    @property
    def writes(self) -> int:
        return sum(change.result != "unchanged" for change in self.changes)

    def add(self, kind: str, name: str, result: Result, detail: str) -> None:
        self.changes.append(Change(kind, name, result, detail))


async def set_up_stripe(
    client: stripe.StripeClient,
    plans: Sequence[PlanProduct],
    webhook_url: str,
    report: SetupReport,
) -> None:
    """Make Stripe hold every plan's product and prices and the webhook endpoint, recording each
    step in `report`; StripeSetupFailed when Stripe refuses or cannot be reached."""
    products = await _products_by_id(client, [plan.product_id for plan in plans])
    keyed = await _prices_by_lookup_key(
        client, [price.lookup_key for plan in plans for price in plan.prices]
    )
    for plan in plans:
        product = await _product(client, plan, products.get(plan.product_id), report)
        kept: list[Price] = []
        retired: list[Price] = []
        for wanted in plan.prices:
            price, old = await _price(client, plan, wanted, keyed.get(wanted.lookup_key), report)
            kept.append(price)
            retired.extend([old] if old is not None and old.active else [])
        kept_ids = {price.id for price in kept}
        strays = [
            price
            for price in await _active_prices_of(client, plan.product_id)
            if price.id not in kept_ids and price.id not in {old.id for old in retired}
        ]
        await _archive(client, product, kept[0], [*retired, *strays], report)
    await _webhook_endpoint(client, webhook_url, report)


async def _product(
    client: stripe.StripeClient, plan: PlanProduct, found: Product | None, report: SetupReport
) -> Product:
    if found is None:
        params = {
            "id": plan.product_id,
            "name": plan.name,
            "active": plan.active,
            "metadata": {"plan": plan.slug},
        }
        created = await _call(
            f"create product {plan.product_id}",
            Product,
            client.v1.products.create_async(
                params=cast(Any, params), options={"idempotency_key": _key("product", params)}
            ),
        )
        report.add("product", created.id, "created", plan.name)
        return created
    changes: dict[str, Any] = {}
    if found.name != plan.name:
        changes["name"] = plan.name
    if found.active != plan.active:
        changes["active"] = plan.active
    if found.metadata.get("plan") != plan.slug:
        changes["metadata"] = {"plan": plan.slug}
    if not changes:
        report.add("product", found.id, "unchanged", plan.name)
        return found
    # Setting values is safe to repeat, so the client's own key per call is enough here.
    updated = await _call(
        f"update product {plan.product_id}",
        Product,
        client.v1.products.update_async(plan.product_id, params=cast(Any, changes)),
    )
    report.add("product", updated.id, "updated", ", ".join(sorted(changes)))
    return updated


async def _price(
    client: stripe.StripeClient,
    plan: PlanProduct,
    wanted: PlanPrice,
    found: Price | None,
    report: SetupReport,
) -> tuple[Price, Price | None]:
    """The plan's price for `wanted`, and the one it replaced (to archive), if any."""
    shown = f"{wanted.unit_amount} {plan.currency}/{wanted.interval}"
    if found is not None and _matches(found, plan, wanted):
        if found.active:
            report.add("price", wanted.lookup_key, "unchanged", f"{found.id} {shown}")
            return found, None
        reactivated = await _call(
            f"reactivate price {found.id}",
            Price,
            client.v1.prices.update_async(found.id, params={"active": True}),
        )
        report.add("price", wanted.lookup_key, "updated", f"{found.id} {shown}, active again")
        return reactivated, None
    params: dict[str, Any] = {
        "product": plan.product_id,
        "currency": plan.currency,
        "unit_amount": wanted.unit_amount,
        "recurring": {"interval": wanted.interval},
        "lookup_key": wanted.lookup_key,
        "nickname": f"{plan.name} {wanted.interval}ly",
        "metadata": {"plan": plan.slug},
    }
    if found is not None:
        params["transfer_lookup_key"] = True
    # The replaced price is in the key: going back to an earlier amount is a new price again.
    key = _key("price", params, replaces=found.id if found else None)
    created = await _call(
        f"create price {wanted.lookup_key}",
        Price,
        client.v1.prices.create_async(params=cast(Any, params), options={"idempotency_key": key}),
    )
    moved = f", lookup key moved from {found.id}" if found else ""
    report.add("price", wanted.lookup_key, "created", f"{created.id} {shown}{moved}")
    return created, found


def _matches(price: Price, plan: PlanProduct, wanted: PlanPrice) -> bool:
    return (
        price.product == plan.product_id
        and price.unit_amount == wanted.unit_amount
        and (price.currency or "").lower() == plan.currency
        and price.recurring is not None
        and price.recurring.interval == wanted.interval
        and price.recurring.interval_count == 1
    )


async def _archive(
    client: stripe.StripeClient,
    product: Product,
    monthly: Price,
    prices: list[Price],
    report: SetupReport,
) -> None:
    """Archive `prices`; Stripe refuses to archive a product's default price, so that moves to
    the plan's monthly price first."""
    if product.default_price in {price.id for price in prices}:
        await _call(
            f"set the default price of product {product.id}",
            Product,
            client.v1.products.update_async(product.id, params={"default_price": monthly.id}),
        )
        report.add("product", product.id, "updated", f"default price {monthly.id}")
    for price in prices:
        await _call(
            f"archive price {price.id}",
            Price,
            client.v1.prices.update_async(price.id, params={"active": False}),
        )
        report.add("price", price.id, "archived", "no longer sold")


async def _products_by_id(client: stripe.StripeClient, ids: list[str]) -> dict[str, Product]:
    """The plans' products Stripe already holds, by id."""
    found: dict[str, Product] = {}
    for start in range(0, len(ids), PAGE_SIZE):
        page = await _call(
            "list the plans' products",
            StripeList[Product],
            client.v1.products.list_async(
                params={"ids": ids[start : start + PAGE_SIZE], "limit": PAGE_SIZE}
            ),
        )
        found.update({product.id: product for product in page.data})
    return found


async def _prices_by_lookup_key(client: stripe.StripeClient, keys: list[str]) -> dict[str, Price]:
    """The price holding each lookup key, active or archived."""
    found: dict[str, Price] = {}
    for start in range(0, len(keys), LOOKUP_KEYS_PER_LIST):
        chunk = keys[start : start + LOOKUP_KEYS_PER_LIST]
        page = await _call(
            "list prices by lookup key",
            StripeList[Price],
            client.v1.prices.list_async(params={"lookup_keys": chunk, "limit": PAGE_SIZE}),
        )
        found.update({price.lookup_key: price for price in page.data if price.lookup_key})
    return found


async def _active_prices_of(client: stripe.StripeClient, product_id: str) -> list[Price]:
    """The product's prices still on sale (a price of a retry that stopped short included)."""
    page = await _call(
        f"list the prices of product {product_id}",
        StripeList[Price],
        client.v1.prices.list_async(
            params={"product": product_id, "active": True, "limit": PAGE_SIZE}
        ),
    )
    return page.data


async def _webhook_endpoint(client: stripe.StripeClient, url: str, report: SetupReport) -> None:
    events = billing_events()
    page = await _call(
        "list webhook endpoints",
        StripeList[WebhookEndpoint],
        client.v1.webhook_endpoints.list_async(params={"limit": PAGE_SIZE}),
    )
    found = next((endpoint for endpoint in page.data if endpoint.url == url), None)
    if found is None:
        params = {
            "url": url,
            "enabled_events": events,
            "api_version": stripe.api_version,
            "description": "Finance Hub webhook gateway",
        }
        created = await _call(
            "create the webhook endpoint",
            WebhookEndpoint,
            client.v1.webhook_endpoints.create_async(
                params=cast(Any, params), options={"idempotency_key": _key("endpoint", params)}
            ),
        )
        report.signing_secret = created.secret
        report.add("webhook endpoint", url, "created", f"{created.id}, {len(events)} events")
        return
    changes: dict[str, Any] = {}
    if sorted(found.enabled_events) != events:
        changes["enabled_events"] = events
    if found.status != "enabled":
        changes["disabled"] = False
    if not changes:
        report.add("webhook endpoint", url, "unchanged", f"{found.id}, {len(events)} events")
        return
    await _call(
        "update the webhook endpoint",
        WebhookEndpoint,
        client.v1.webhook_endpoints.update_async(found.id, params=cast(Any, changes)),
    )
    report.add("webhook endpoint", url, "updated", f"{found.id}, {_event_changes(found, events)}")


def _event_changes(found: WebhookEndpoint, events: list[str]) -> str:
    added = len(set(events) - set(found.enabled_events))
    removed = len(set(found.enabled_events) - set(events))
    parts = [f"{len(events)} events (+{added} -{removed})"]
    if found.status != "enabled":
        parts.append("enabled again")
    return ", ".join(parts)


def _key(kind: str, params: dict[str, Any], replaces: str | None = None) -> str:
    """An idempotency key derived from what is asked: a retry of the same request never
    duplicates, and any other request gets a key of its own."""
    content = json.dumps({"params": params, "replaces": replaces}, sort_keys=True)
    return f"finhub-stripe-setup-{kind}-{hashlib.sha256(content.encode()).hexdigest()[:40]}"


async def _call(action: str, model: type[ModelT], request: Awaitable[Any]) -> ModelT:
    """Stripe's answer parsed as `model`; StripeSetupFailed, naming `action`, if refused."""
    try:
        answer = await request
    except stripe.APIConnectionError:
        raise StripeSetupFailed(
            f"Stripe could not be reached (STRIPE_API_BASE) to {action}."
        ) from None
    except stripe.AuthenticationError as error:
        raise StripeSetupFailed(
            f"Stripe refused the API key (STRIPE_API_KEY) when asked to {action} "
            f"(HTTP {error.http_status})."
        ) from None
    except stripe.StripeError as error:
        raise StripeSetupFailed(_refusal(action, error)) from None
    plain = answer.to_dict() if isinstance(answer, stripe.StripeObject) else answer
    try:
        return model.model_validate(plain)
    except ValidationError:
        raise StripeSetupFailed(f"Stripe answered in an unexpected shape to {action}.") from None


def _refusal(action: str, error: stripe.StripeError) -> str:
    reason = f"HTTP {error.http_status}" + (f", {error.code}" if error.code else "")
    # Stripe's own words help with a 4xx, but may quote the key: secrets are blanked out.
    said = (
        error.user_message
        if isinstance(error.http_status, int) and error.http_status < 500
        else None
    )
    words = f": {redact_text(said)}" if said else ""
    return f"Stripe refused to {action} ({reason}){words}"
