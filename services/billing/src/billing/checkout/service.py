"""What a company asks of Stripe: checkout, the customer portal, cancelling, changing plan.

Each holds the company's subscription row lock, so two requests of one company take turns.
Stripe's answer is applied at once; the events that follow confirm it (and win if newer).
"""

from __future__ import annotations

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
from billing.customers.service import ensure_customer
from billing.plans.models import Plan
from billing.plans.schemas import BillingPeriod
from billing.plans.service import lookup_key, plan_on_sale
from billing.stripe_api import stripe_call
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription
from finhub_shared.auth import Principal

# Statuses in which the company already has a Stripe subscription to manage.
SUBSCRIBED = frozenset({subscriptions.ACTIVE, subscriptions.PAST_DUE, subscriptions.PAUSED})


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


async def start_checkout(
    session: AsyncSession,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: CheckoutRequest,
    settings: BillingSettings,
) -> CheckoutOut:
    """A Stripe Checkout session in subscription mode for the plan, and its URL."""
    subscription = await subscriptions.lock(session, principal.company_id)
    if subscription.status in SUBSCRIBED:
        raise SubscriptionAlreadyActive(
            "The company already has a subscription; change its plan instead."
        )
    plan = await plan_on_sale(session, form.plan_id)
    price_id = await _price_id(stripe_client, plan, form.billing_period)
    customer_id = await _customer_for(session, stripe_client, principal)
    metadata = _metadata(principal, plan, form.billing_period)
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
    await audit.record(
        session,
        principal.company_id,
        actor=audit.user_actor(principal.user_id),
        action="checkout_started",
        after={"session_id": checkout.id, **metadata},
    )
    return CheckoutOut(checkout_url=checkout.url, session_id=checkout.id)


async def _customer_for(
    session: AsyncSession, stripe_client: stripe.StripeClient, principal: Principal
) -> str:
    company = await accounts.company_by_id(session, principal.company_id)
    user = await accounts.user_by_id(session, principal.user_id)
    assert company is not None
    assert user is not None
    return await ensure_customer(
        session, stripe_client, company_id=company.id, company_name=company.name, email=user.email
    )


async def open_portal(
    session: AsyncSession,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    settings: BillingSettings,
) -> PortalOut:
    """A Stripe customer portal session where the user manages cards and invoices."""
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


async def _subscribed(session: AsyncSession, principal: Principal) -> tuple[Subscription, str]:
    subscription = await subscriptions.lock(session, principal.company_id)
    stripe_id = subscription.stripe_subscription_id
    if subscription.status not in SUBSCRIBED or stripe_id is None:
        raise NoActiveSubscription("The company has no subscription to change.")
    return subscription, stripe_id


async def cancel(
    session: AsyncSession,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: CancelRequest,
) -> None:
    """Cancel at the end of the paid period (the default), or now."""
    subscription, stripe_id = await _subscribed(session, principal)
    if form.when == "now":
        request = stripe_client.v1.subscriptions.cancel_async(stripe_id)
    else:
        request = stripe_client.v1.subscriptions.update_async(
            stripe_id, params={"cancel_at_period_end": True}
        )
    answer = await stripe_call("cancel the subscription", stripe_payloads.Subscription, request)
    await subscriptions.apply_stripe_subscription(
        session,
        subscription,
        answer,
        version=None,
        actor=audit.user_actor(principal.user_id),
        action=f"cancel_requested_{form.when}",
    )


async def change_plan(
    session: AsyncSession,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: ChangePlanRequest,
) -> None:
    """Move to another plan or period; Stripe prorates the difference."""
    subscription, stripe_id = await _subscribed(session, principal)
    plan = await plan_on_sale(session, form.plan_id)
    if plan.id == subscription.plan_id and form.billing_period == subscription.billing_period:
        raise PlanUnchanged("The company is already on this plan and billing period.")
    price_id = await _price_id(stripe_client, plan, form.billing_period)
    item_id = subscription.stripe_subscription_item_id or await _item_id(stripe_client, stripe_id)
    answer = await stripe_call(
        "change the plan",
        stripe_payloads.Subscription,
        stripe_client.v1.subscriptions.update_async(
            stripe_id,
            params={
                "items": [{"id": item_id, "price": price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
                "metadata": _metadata(principal, plan, form.billing_period),
            },
        ),
    )
    await subscriptions.apply_stripe_subscription(
        session,
        subscription,
        answer,
        version=None,
        actor=audit.user_actor(principal.user_id),
        action="plan_change_requested",
    )


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
