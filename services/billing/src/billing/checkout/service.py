"""What a company asks of Stripe: checkout, the customer portal, cancelling, changing plan.

No transaction is open while Stripe answers (it may take a timeout and its retries): each use
case reads what it needs in a short transaction, calls Stripe, then writes the answer in another
that takes the company's subscription lock and checks again what another request may have
changed meanwhile. Stripe's answer is applied at once; the events that follow confirm it (and win
if newer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.audit import service as audit
from billing.checkout import repository as checkouts
from billing.checkout.errors import (
    CheckoutAlreadyPaid,
    CheckoutReplaced,
    NoActiveSubscription,
    NoBillingAccount,
    PlanUnchanged,
    StripePriceMissing,
    SubscriptionAlreadyActive,
)
from billing.checkout.models import CheckoutSession
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
from billing.stripe import payloads
from billing.stripe.client import stripe_call
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription
from billing.subscriptions.schemas import SubscriptionOut
from billing.subscriptions.summary import subscription_of
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.events import utcnow

SUBSCRIBED = subscriptions.SUBSCRIBED
OPEN, EXPIRING, EXPIRED, COMPLETE = checkouts.OPEN, checkouts.EXPIRING, "expired", "complete"


@dataclass(frozen=True)
class _Checkout:
    """What a checkout needs from the database: the plan, the company's customer, its open
    session (returned if it is for this plan), and the sessions to expire before a new one."""

    plan: Plan
    customer: str | NewCustomer
    open: CheckoutOut | None
    to_expire: tuple[str, ...]
    # Keys the new session at Stripe: the same for concurrent requests, new once one is kept.
    idempotency_key: str


@dataclass(frozen=True)
class _PlanChange:
    """What a change of plan needs from the database: the Stripe subscription and the plan."""

    stripe_subscription_id: str
    item_id: str | None
    plan: Plan
    idempotency_key: str


async def start_checkout(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    form: CheckoutRequest,
    settings: BillingSettings,
) -> CheckoutOut:
    """The company's one open Stripe Checkout session for the plan, and its URL.

    An open session for the same plan and period is returned as it is; one for another plan is
    expired at Stripe before the new one is made, so that a company never has two to pay.
    """
    async with database.transaction() as session:
        order = await _prepare_checkout(session, principal, form)
    reusable = order.open.session_id if order.open else None
    await _expire_all(database, stripe_client, order.to_expire, also_if_paid=reusable)
    if order.open is not None:
        return order.open
    price_id = await _price_id(stripe_client, order.plan, form.billing_period)
    customer_id = order.customer
    if isinstance(customer_id, NewCustomer):
        customer_id = await create_at_stripe(stripe_client, customer_id)
    metadata = _metadata(principal, order.plan, form.billing_period)
    checkout = await stripe_call(
        "start the checkout",
        payloads.CheckoutSession,
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
            },
            options={"idempotency_key": order.idempotency_key},
        ),
    )
    if checkout.url is None:
        raise StripePriceMissing("Stripe answered without a checkout URL.")
    async with database.transaction() as session:
        replaced = await _record_checkout(
            session, principal, order, customer_id, checkout, metadata
        )
    # A concurrent request for another plan kept its session first: this one replaces it.
    await _expire_all(database, stripe_client, replaced, also_if_paid=checkout.id)
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
    live = await checkouts.open_for_company(session, company.id)
    expiring = await checkouts.expiring_for_company(session, company.id)
    to_expire = [checkout.stripe_session_id for checkout in expiring if checkout.stripe_session_id]
    reusable = None
    if live is not None and not _lapsed(live):
        if (live.plan_id, live.billing_period) == (plan.id, form.billing_period):
            reusable = _answer(live)
        elif live.stripe_session_id:
            to_expire.append(live.stripe_session_id)
    generation = await checkouts.count_for_company(session, company.id)
    key = f"checkout-{company.id}-{generation}-{plan.id}-{form.billing_period}"
    return _Checkout(plan, customer, reusable, tuple(to_expire), key)


def _lapsed(checkout: CheckoutSession) -> bool:
    """Whether Stripe has expired the session by now on its own (24 hours by default)."""
    return checkout.expires_at is not None and checkout.expires_at <= utcnow()


def _answer(checkout: CheckoutSession) -> CheckoutOut | None:
    if checkout.url is None or checkout.stripe_session_id is None:
        return None
    return CheckoutOut(checkout_url=checkout.url, session_id=checkout.stripe_session_id)


async def _expire_all(
    database: Database,
    stripe_client: stripe.StripeClient,
    stripe_session_ids: Sequence[str],
    *,
    also_if_paid: str | None,
) -> None:
    """Expire replaced sessions at Stripe; 409 if one was paid before it could be, and then
    `also_if_paid` (the company's open session) is expired too: its subscription is coming."""
    for stripe_session_id in stripe_session_ids:
        if await _expire_at_stripe(database, stripe_client, stripe_session_id) == COMPLETE:
            if also_if_paid is not None:
                await _expire_at_stripe(database, stripe_client, also_if_paid)
            raise CheckoutAlreadyPaid(
                "The company's previous checkout was paid; its subscription starts shortly."
            )


async def _expire_at_stripe(
    database: Database, stripe_client: stripe.StripeClient, stripe_session_id: str
) -> str:
    """Expire a session at Stripe and record it; `complete` if it was paid before it could be."""
    try:
        await stripe_call(
            "expire the previous checkout",
            payloads.CheckoutSession,
            stripe_client.v1.checkout.sessions.expire_async(
                stripe_session_id,
                options={"idempotency_key": f"checkout-expire-{stripe_session_id}"},
            ),
        )
        outcome = EXPIRED
    except ProviderUnavailable:
        raise
    except ProviderError:
        # Stripe expires only open sessions: see what became of this one.
        outcome = await _status_at_stripe(stripe_client, stripe_session_id)
    async with database.transaction() as session:
        checkout = await checkouts.by_stripe_id(session, stripe_session_id)
        if checkout is not None and checkout.status != COMPLETE:
            checkout.status = outcome
    return outcome


async def _status_at_stripe(stripe_client: stripe.StripeClient, stripe_session_id: str) -> str:
    """`expired` or `complete` for a session Stripe would not expire; else a provider error."""
    current = await stripe_call(
        "read the previous checkout",
        payloads.CheckoutSession,
        stripe_client.v1.checkout.sessions.retrieve_async(stripe_session_id),
    )
    if current.status not in (EXPIRED, COMPLETE):
        raise ProviderError("Stripe refused to expire the previous checkout.")
    return current.status


async def _record_checkout(
    session: AsyncSession,
    principal: Principal,
    order: _Checkout,
    customer_id: str,
    checkout: payloads.CheckoutSession,
    metadata: dict[str, str],
) -> tuple[str, ...]:
    """Keep Stripe's session as the company's open one; the sessions it replaced, to expire."""
    # A checkout that completed while Stripe answered this one makes this one moot.
    _ensure_not_subscribed(await subscriptions.lock(session, principal.company_id))
    if isinstance(order.customer, NewCustomer):
        await record_customer(session, order.customer, customer_id)
    known = await checkouts.by_stripe_id(session, checkout.id)
    if known is not None and known.status == OPEN:
        return ()  # a concurrent request for the same plan kept it first
    if known is not None:
        raise CheckoutReplaced("A newer checkout of the company replaced this one.")
    replaced: tuple[str, ...] = ()
    live = await checkouts.open_for_company(session, principal.company_id)
    if live is not None:
        live.status = EXPIRED if _lapsed(live) else EXPIRING
        if live.status == EXPIRING and live.stripe_session_id:
            replaced = (live.stripe_session_id,)
        await session.flush()
    session.add(
        CheckoutSession(
            company_id=principal.company_id,
            plan_id=order.plan.id,
            billing_period=metadata["billing_period"],
            status=OPEN,
            stripe_session_id=checkout.id,
            url=checkout.url,
            expires_at=payloads.from_timestamp(checkout.expires_at),
        )
    )
    await session.flush()
    await audit.record(
        session,
        principal.company_id,
        actor=audit.user_actor(principal.user_id),
        action="checkout_started",
        after={"session_id": checkout.id, **metadata},
    )
    return replaced


def _ensure_not_subscribed(subscription: Subscription) -> None:
    if subscription.status in SUBSCRIBED:
        raise SubscriptionAlreadyActive(
            "The company already has a subscription; change its plan instead."
        )


async def _price_id(stripe_client: stripe.StripeClient, plan: Plan, period: BillingPeriod) -> str:
    key = lookup_key(plan, period)
    prices = await stripe_call(
        "find the plan's price",
        payloads.StripeList[payloads.Price],
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
        payloads.PortalSession,
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
        subscription, stripe_id = await _subscribed(session, principal)
    options: stripe.RequestOptions = {
        "idempotency_key": _change_key(subscription, "cancel", form.when)
    }
    if form.when == "now":
        request = stripe_client.v1.subscriptions.cancel_async(stripe_id, options=options)
    else:
        request = stripe_client.v1.subscriptions.update_async(
            stripe_id, params={"cancel_at_period_end": True}, options=options
        )
    answer = await stripe_call("cancel the subscription", payloads.Subscription, request)
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
        payloads.Subscription,
        stripe_client.v1.subscriptions.update_async(
            stripe_id,
            params={
                "items": [{"id": item_id, "price": price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
                "metadata": _metadata(principal, change.plan, form.billing_period),
            },
            options={"idempotency_key": change.idempotency_key},
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
    key = _change_key(subscription, "plan", str(plan.id), form.billing_period)
    return _PlanChange(stripe_id, subscription.stripe_subscription_item_id, plan, key)


def _change_key(subscription: Subscription, *change: str) -> str:
    """The idempotency key of a change asked of the subscription as it stands: the same request
    sent again (a double click, a retry after a lost answer) is one change at Stripe, while the
    same change asked after the subscription moved on (cancel, resume, cancel) is a new one."""
    version = int(subscription.updated_at.timestamp() * 1_000_000)
    return "-".join(
        ("subscription", *change, str(subscription.stripe_subscription_id), str(version))
    )


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
    answer: payloads.Subscription,
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
        payloads.Subscription,
        stripe_client.v1.subscriptions.retrieve_async(stripe_subscription_id),
    )
    item = answer.first_item
    if item is None:
        raise NoActiveSubscription("The subscription has no plan to change.")
    return item.id
