"""What a company asks of Stripe: checkout, the customer portal, cancelling, changing plan.

No transaction is open while Stripe answers (it may take a timeout and its retries): each use
case reads what it needs in a short transaction, calls Stripe, then writes the answer in another
that takes the company's subscription lock and checks again what another request may have
changed meanwhile. Stripe's answer is applied at once; the events that follow confirm it (and win
if newer).
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from billing import stripe_payloads
from billing.accounts import repository as accounts
from billing.audit import service as audit
from billing.checkout.errors import (
    NoActiveSubscription,
    NoBillingAccount,
    PlanUnchanged,
    StripePriceMissing,
    SubscriptionAlreadyActive,
)
from billing.checkout.schemas import (
    CancelRequest,
    ChangePlanRequest,
    CheckoutOut,
    CheckoutRequest,
    PortalOut,
)
from billing.config import BillingSettings
from billing.customers import repository as customers
from billing.customers.service import (
    NewCustomer,
    create_at_stripe,
    customer_needed,
    record_customer,
)
from billing.plans.models import Plan
from billing.plans.schemas import BillingPeriod
from billing.plans.service import lookup_key, plan_on_sale
from billing.stripe_api import stripe_call
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription
from billing.subscriptions.schemas import SubscriptionOut
from billing.subscriptions.summary import subscription_of
from finhub_shared.auth import Principal
from finhub_shared.db import Database

# Statuses in which the company already has a Stripe subscription to manage.
SUBSCRIBED = frozenset({subscriptions.ACTIVE, subscriptions.PAST_DUE, subscriptions.PAUSED})


@dataclass(frozen=True)
class _Checkout:
    """What a checkout needs from the database: the plan and the company's customer."""

    plan: Plan
    customer: str | NewCustomer


@dataclass(frozen=True)
class _PlanChange:
    """What a change of plan needs from the database: the Stripe subscription and the plan."""

    stripe_subscription_id: str
    item_id: str | None
    plan: Plan


async def start_checkout(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: CheckoutRequest,
    settings: BillingSettings,
) -> CheckoutOut:
    """A Stripe Checkout session in subscription mode for the plan, and its URL."""
    async with database.transaction() as session:
        order = await _prepare_checkout(session, principal, form)
    price_id = await _price_id(stripe_client, order.plan, form.billing_period)
    customer_id = order.customer
    if isinstance(customer_id, NewCustomer):
        customer_id = await create_at_stripe(stripe_client, customer_id)
    metadata = _metadata(principal, order.plan, form.billing_period)
    checkout = await stripe_call(
        "start the checkout",
        stripe_payloads.CheckoutSession,
        stripe_client.v1.checkout.sessions.create_async(
            params={
                "mode": "subscription",
                "customer": customer_id,
                "line_items": [{"price": price_id, "quantity": 1}],
                "success_url": settings.checkout_success_url,
                "cancel_url": settings.checkout_cancel_url,
                "client_reference_id": str(principal.company_id),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            }
        ),
    )
    if checkout.url is None:
        raise StripePriceMissing("Stripe answered without a checkout URL.")
    async with database.transaction() as session:
        await _record_checkout(session, principal, order, customer_id, checkout.id, metadata)
    return CheckoutOut(checkout_url=checkout.url, session_id=checkout.id)


async def _prepare_checkout(
    session: AsyncSession, principal: Principal, form: CheckoutRequest
) -> _Checkout:
    _ensure_not_subscribed(await subscriptions.read(session, principal.company_id))
    plan = await plan_on_sale(session, form.plan_id)
    company = await accounts.company_by_id(session, principal.company_id)
    user = await accounts.user_by_id(session, principal.user_id)
    assert company is not None
    assert user is not None
    customer = await customer_needed(
        session, company.id, company_name=company.name, email=user.email
    )
    return _Checkout(plan, customer)


async def _record_checkout(
    session: AsyncSession,
    principal: Principal,
    order: _Checkout,
    customer_id: str,
    checkout_id: str,
    metadata: dict[str, str],
) -> None:
    # A checkout that completed while Stripe answered this one makes this one moot.
    _ensure_not_subscribed(await subscriptions.lock(session, principal.company_id))
    if isinstance(order.customer, NewCustomer):
        await record_customer(session, order.customer, customer_id)
    await audit.record(
        session,
        principal.company_id,
        actor=audit.user_actor(principal.user_id),
        action="checkout_started",
        after={"session_id": checkout_id, **metadata},
    )


def _ensure_not_subscribed(subscription: Subscription) -> None:
    if subscription.status in SUBSCRIBED:
        raise SubscriptionAlreadyActive(
            "The company already has a subscription; change its plan instead."
        )


async def _price_id(stripe_client: stripe.StripeClient, plan: Plan, period: BillingPeriod) -> str:
    key = lookup_key(plan, period)
    prices = await stripe_call(
        "find the plan's price",
        stripe_payloads.StripeList[stripe_payloads.Price],
        stripe_client.v1.prices.list_async(
            params={"lookup_keys": [key], "active": True, "limit": 1}
        ),
    )
    if not prices.data:
        raise StripePriceMissing(f"Stripe has no active price with lookup key {key}.")
    return prices.data[0].id


def _metadata(principal: Principal, plan: Plan, period: BillingPeriod) -> dict[str, str]:
    return {
        "company_id": str(principal.company_id),
        "plan_id": str(plan.id),
        "billing_period": period,
    }


async def open_portal(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    settings: BillingSettings,
) -> PortalOut:
    """A Stripe customer portal session where the user manages cards and invoices."""
    async with database.transaction() as session:
        customer = await customers.for_company(session, principal.company_id)
    if customer is None or customer.deleted_at is not None:
        raise NoBillingAccount("The company has no billing account yet; subscribe first.")
    portal = await stripe_call(
        "open the customer portal",
        stripe_payloads.PortalSession,
        stripe_client.v1.billing_portal.sessions.create_async(
            params={
                "customer": customer.stripe_customer_id,
                "return_url": settings.portal_return_url,
            }
        ),
    )
    return PortalOut(url=portal.url)


async def cancel(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: CancelRequest,
) -> SubscriptionOut:
    """Cancel at the end of the paid period (the default), or now; the subscription after it."""
    async with database.transaction() as session:
        _, stripe_id = await _subscribed(session, principal)
    if form.when == "now":
        request = stripe_client.v1.subscriptions.cancel_async(stripe_id)
    else:
        request = stripe_client.v1.subscriptions.update_async(
            stripe_id, params={"cancel_at_period_end": True}
        )
    answer = await stripe_call("cancel the subscription", stripe_payloads.Subscription, request)
    return await _apply_answer(database, principal, answer, f"cancel_requested_{form.when}")


async def change_plan(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: ChangePlanRequest,
) -> SubscriptionOut:
    """Move to another plan or period (Stripe prorates the difference); the subscription after."""
    async with database.transaction() as session:
        change = await _prepare_change(session, principal, form)
    price_id = await _price_id(stripe_client, change.plan, form.billing_period)
    stripe_id = change.stripe_subscription_id
    item_id = change.item_id or await _item_id(stripe_client, stripe_id)
    answer = await stripe_call(
        "change the plan",
        stripe_payloads.Subscription,
        stripe_client.v1.subscriptions.update_async(
            stripe_id,
            params={
                "items": [{"id": item_id, "price": price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
                "metadata": _metadata(principal, change.plan, form.billing_period),
            },
        ),
    )
    return await _apply_answer(database, principal, answer, "plan_change_requested")


async def _prepare_change(
    session: AsyncSession, principal: Principal, form: ChangePlanRequest
) -> _PlanChange:
    subscription, stripe_id = await _subscribed(session, principal)
    plan = await plan_on_sale(session, form.plan_id)
    if plan.id == subscription.plan_id and form.billing_period == subscription.billing_period:
        raise PlanUnchanged("The company is already on this plan and billing period.")
    return _PlanChange(stripe_id, subscription.stripe_subscription_item_id, plan)


async def _subscribed(session: AsyncSession, principal: Principal) -> tuple[Subscription, str]:
    """The company's subscription and its Stripe id; 409 when it has none to change."""
    subscription = await subscriptions.read(session, principal.company_id)
    stripe_id = subscription.stripe_subscription_id
    if subscription.status not in SUBSCRIBED or stripe_id is None:
        raise NoActiveSubscription("The company has no subscription to change.")
    return subscription, stripe_id


async def _apply_answer(
    database: Database,
    principal: Principal,
    answer: stripe_payloads.Subscription,
    action: str,
) -> SubscriptionOut:
    """Stripe's answer applied under the lock (unless the subscription was replaced meanwhile),
    and the subscription as the company now sees it."""
    async with database.transaction() as session:
        subscription = await subscriptions.lock(session, principal.company_id)
        await subscriptions.apply_stripe_subscription(
            session,
            subscription,
            answer,
            version=None,
            actor=audit.user_actor(principal.user_id),
            action=action,
        )
        return await subscription_of(session, principal.company_id)


async def _item_id(stripe_client: stripe.StripeClient, stripe_subscription_id: str) -> str:
    answer = await stripe_call(
        "read the subscription",
        stripe_payloads.Subscription,
        stripe_client.v1.subscriptions.retrieve_async(stripe_subscription_id),
    )
    item = answer.first_item
    if item is None:
        raise NoActiveSubscription("The subscription has no plan to change.")
    return item.id
