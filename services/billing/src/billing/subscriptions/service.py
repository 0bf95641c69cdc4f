"""A company's subscription state: the trial, and every change Stripe or the company makes.

Events arrive duplicated and out of order. Each change is stamped with Stripe's time of the event
behind it, and a change older than the state it would replace is dropped: a status only moves to
one set by a newer event, the paid period only moves forward, and a subscription Stripe has
cancelled never comes back. Callers hold the row lock (`lock_for_company`) while they change it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import ScalarSelect
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.dunning import service as dunning
from billing.entitlements.service import entitlements_of, publish_if_changed
from billing.notifications.service import notify
from billing.plans import repository as plans
from billing.plans.models import Plan
from billing.stripe import payloads as stripe
from billing.subscriptions import metrics, repository
from billing.subscriptions.models import Subscription
from finhub_shared.events import utcnow

log = structlog.get_logger(__name__)

TRIAL = "trial"
ACTIVE = "active"
PAST_DUE = "past_due"
PAUSED = "paused"
CANCELLED = "cancelled"
EXPIRED = "expired"

# Statuses in which the company already has a Stripe subscription to manage.
SUBSCRIBED = frozenset({ACTIVE, PAST_DUE, PAUSED})
# Statuses in which a new Stripe subscription may take the company over.
REPLACEABLE = frozenset({TRIAL, CANCELLED, EXPIRED})
# Stripe subscriptions that are over and never come back.
STRIPE_ENDED = frozenset({"canceled", "incomplete_expired"})
# Stripe's statuses in ours; "incomplete" (first payment pending) leaves the company as it was.
FROM_STRIPE_STATUS = {
    "trialing": ACTIVE,
    "active": ACTIVE,
    "past_due": PAST_DUE,
    "unpaid": PAST_DUE,
    "paused": PAUSED,
    "canceled": CANCELLED,
}
# When two events carry the same second, the graver news wins, so the order they arrive in
# does not matter.
GRAVITY = {TRIAL: 0, ACTIVE: 1, PAST_DUE: 2, PAUSED: 3, EXPIRED: 4, CANCELLED: 5}
PAID_INVOICE = "paid"
TRIAL_NOTICE_BEFORE = timedelta(days=3)


def state_of(subscription: Subscription) -> dict[str, Any]:
    """The subscription's state as the audit log records it."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "status": subscription.status,
        "plan_id": subscription.plan_id,
        "billing_period": subscription.billing_period,
        "trial_ends_at": iso(subscription.trial_ends_at),
        "stripe_subscription_id": subscription.stripe_subscription_id,
        "stripe_status": subscription.stripe_status,
        "current_period_start": iso(subscription.current_period_start),
        "current_period_end": iso(subscription.current_period_end),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": iso(subscription.canceled_at),
        "action_required": subscription.action_required,
    }


@dataclass
class Change:
    """The state before a change and, once the change is over, after it."""

    before: dict[str, Any]
    after: dict[str, Any] | None = None

    @property
    def changed(self) -> bool:
        """Whether anything moved."""
        return self.after is not None and self.after != self.before


@asynccontextmanager
async def changing(
    session: AsyncSession, subscription: Subscription, *, actor: str, action: str
) -> AsyncIterator[Change]:
    """Audit what the block changes, and publish the entitlements if they moved.

    The block only changes the subscription (and reads plans), so that the change and its new
    entitlements version reach the database in one UPDATE: anything else is done after it.
    """
    change = Change(before=state_of(subscription))
    entitlements_before = await entitlements_of(session, subscription)
    yield change
    change.after = state_of(subscription)
    if not change.changed:
        return
    await publish_if_changed(session, subscription, entitlements_before)
    await audit.record(
        session,
        subscription.company_id,
        actor=actor,
        action=action,
        before=change.before,
        after=change.after,
    )


async def start_trial(
    session: AsyncSession, company_id: UUID, *, trial_days: int, now: datetime, actor: str
) -> Subscription:
    """The new company's subscription, on trial for `trial_days` from `now`."""
    subscription = Subscription(
        company_id=company_id,
        status=TRIAL,
        trial_ends_at=now + timedelta(days=trial_days),
        cancel_at_period_end=False,
        entitlements_version=0,
    )
    session.add(subscription)
    await session.flush()
    metrics.SUBSCRIPTIONS_ENTERING.labels(TRIAL).inc()
    await audit.record(
        session, company_id, actor=actor, action="trial_started", after=state_of(subscription)
    )
    await publish_if_changed(session, subscription, None)
    return subscription


async def read(session: AsyncSession, company_id: UUID) -> Subscription:
    """The company's subscription as it is now, without the row lock."""
    subscription = await repository.get_for_company(session, company_id)
    if subscription is None:
        raise LookupError(f"company {company_id} has no subscription row")
    return subscription


async def lock(session: AsyncSession, company_id: UUID) -> Subscription:
    """The company's subscription under the row lock (every company has one from registration)."""
    subscription = await repository.lock_for_company(session, company_id)
    if subscription is None:
        raise LookupError(f"company {company_id} has no subscription row")
    return subscription


async def lock_for_event(
    session: AsyncSession,
    event: stripe.StripeEvent,
    *,
    company_id: UUID | ScalarSelect[UUID] | None = None,
    metadata: dict[str, str] | None = None,
    customer_id: str | None = None,
    stripe_subscription_id: str | None = None,
    ours: bool = True,
    usual: bool = False,
) -> Subscription | None:
    """The locked subscription of the company a Stripe event is about; None if the event is none
    of ours, logged as `stripe_event_unmatched` (at info level when that is `usual`).

    The company is `company_id` when the caller knows it (or the subquery that finds it, so that
    finding and locking are one statement), else tried in turn: the company id we put
    in the metadata, the Stripe customer we created, the Stripe subscription we know. `ours=False`
    drops an event about something we do not follow (a checkout without a subscription, a payment
    method that is not a card).
    """
    if ours and company_id is None:
        company_id = await _company_of(session, metadata or {}, customer_id, stripe_subscription_id)
    subscription = None
    if ours and company_id is not None:
        subscription = await repository.lock_for_company(session, company_id)
    if subscription is None:
        unmatched = log.info if usual else log.warning
        unmatched("stripe_event_unmatched", stripe_event=event.id, event_type=event.type)
    return subscription


async def _company_of(
    session: AsyncSession,
    metadata: dict[str, str],
    customer_id: str | None,
    stripe_subscription_id: str | None,
) -> UUID | None:
    company_id = _company_in(metadata)
    if company_id is None and customer_id is not None:
        company_id = await repository.company_for_stripe_customer(session, customer_id)
    if company_id is None and stripe_subscription_id is not None:
        company_id = await repository.company_for_stripe_subscription(
            session, stripe_subscription_id
        )
    return company_id


def _company_in(metadata: dict[str, str]) -> UUID | None:
    try:
        return UUID(metadata["company_id"])
    except (KeyError, ValueError):
        return None


def is_current(
    subscription: Subscription, stripe_subscription_id: str, stripe_status: str | None
) -> bool:
    """Whether news of this Stripe subscription may change the company's state."""
    if subscription.stripe_subscription_id in (None, stripe_subscription_id):
        return not _ended_at_stripe(subscription, stripe_subscription_id)
    # A new subscription takes over from one that has ended; an ended one never comes back.
    return subscription.status in REPLACEABLE and stripe_status not in STRIPE_ENDED


async def follows(
    session: AsyncSession,
    subscription: Subscription,
    stripe_subscription_id: str,
    stripe_status: str | None,
) -> bool:
    """`is_current`, and never for a subscription found to be the company's second one (it is
    being cancelled and refunded, whatever its events say)."""
    if not is_current(subscription, stripe_subscription_id, stripe_status):
        return False
    if subscription.stripe_subscription_id == stripe_subscription_id:
        return True
    return await repository.duplicate_by_stripe_id(session, stripe_subscription_id) is None


def _ended_at_stripe(subscription: Subscription, stripe_subscription_id: str) -> bool:
    return (
        subscription.stripe_subscription_id == stripe_subscription_id
        and subscription.stripe_status in STRIPE_ENDED
    )


def _set_status(subscription: Subscription, status: str, version: datetime | None) -> None:
    """Move to `status` unless the current one was set by a newer event."""
    if version is not None and subscription.status_changed_at is not None:
        if version < subscription.status_changed_at:
            return
        same_moment = version == subscription.status_changed_at
        if same_moment and GRAVITY[status] < GRAVITY[subscription.status]:
            return
    if status != subscription.status:
        metrics.SUBSCRIPTIONS_ENTERING.labels(status).inc()
    subscription.status = status
    if version is not None:
        subscription.status_changed_at = version


def _extend_period(subscription: Subscription, start: int, end: int, *, replace: bool) -> None:
    """Take Stripe's period if it ends later (or `replace`: a new subscription or interval)."""
    period_start, period_end = stripe.from_timestamp(start), stripe.from_timestamp(end)
    current_end = subscription.current_period_end
    if replace or current_end is None or (period_end is not None and period_end > current_end):
        subscription.current_period_start = period_start
        subscription.current_period_end = period_end


async def _plan_from_metadata(
    session: AsyncSession, metadata: dict[str, str]
) -> tuple[Plan, str] | None:
    """The plan and billing period we wrote in the checkout's metadata."""
    plan_id, period = metadata.get("plan_id", ""), metadata.get("billing_period")
    if not plan_id.isdigit() or period not in ("monthly", "yearly"):
        return None
    plan = await plans.get(session, int(plan_id))
    return (plan, period) if plan else None


async def _plan_of_price(
    session: AsyncSession, price: stripe.Price, metadata: dict[str, str]
) -> tuple[Plan, str] | None:
    """The plan and period of a subscription's price: by lookup key, else by our metadata."""
    if price.lookup_key:
        found = await plans.by_lookup_key(session, price.lookup_key)
        if found:
            return found
    return await _plan_from_metadata(session, metadata)


async def apply_stripe_subscription(
    session: AsyncSession,
    subscription: Subscription,
    stripe_subscription: stripe.Subscription,
    *,
    version: datetime | None,
    actor: str,
    action: str,
) -> None:
    """Sync status, plan and period from a Stripe subscription snapshot taken at `version`.

    `version` is None for Stripe's answer to our own call: applied, but later events still win.
    """
    if not await follows(session, subscription, stripe_subscription.id, stripe_subscription.status):
        log.info("stripe_subscription_not_current", stripe_subscription=stripe_subscription.id)
        return
    same_subscription = subscription.stripe_subscription_id == stripe_subscription.id
    synced_at = subscription.stripe_synced_at
    if same_subscription and version and synced_at and version < synced_at:
        log.info("stripe_subscription_snapshot_older", stripe_subscription=stripe_subscription.id)
        return
    async with changing(session, subscription, actor=actor, action=action):
        subscription.stripe_subscription_id = stripe_subscription.id
        subscription.stripe_status = stripe_subscription.status
        subscription.cancel_at_period_end = stripe_subscription.cancel_at_period_end
        subscription.canceled_at = stripe.from_timestamp(stripe_subscription.canceled_at)
        if version is not None:
            subscription.stripe_synced_at = version
        await _apply_item(session, subscription, stripe_subscription, replace=not same_subscription)
        status = FROM_STRIPE_STATUS.get(stripe_subscription.status)
        if status is not None:
            _set_status(subscription, status, version)
        if subscription.status == CANCELLED:
            subscription.action_required = None
    if subscription.status == CANCELLED:
        await dunning.stop(session, subscription.company_id, "stopped", version or utcnow())


async def _apply_item(
    session: AsyncSession,
    subscription: Subscription,
    stripe_subscription: stripe.Subscription,
    *,
    replace: bool,
) -> None:
    item = stripe_subscription.first_item
    if item is None:
        return
    subscription.stripe_subscription_item_id = item.id
    found = await _plan_of_price(session, item.price, stripe_subscription.metadata)
    interval_changed = False
    if found is not None:
        plan, period = found
        interval_changed = subscription.billing_period not in (None, period)
        subscription.plan_id, subscription.billing_period = plan.id, period
    _extend_period(
        subscription,
        item.current_period_start,
        item.current_period_end,
        replace=replace or interval_changed,
    )


async def activate_from_checkout(
    session: AsyncSession,
    subscription: Subscription,
    checkout: stripe.CheckoutSession,
    *,
    version: datetime,
    actor: str,
) -> bool:
    """Record the subscription a checkout created; active once paid. True if anything changed."""
    if checkout.subscription is None:
        return False
    if not await follows(session, subscription, checkout.subscription, None):
        return False
    found = await _plan_from_metadata(session, checkout.metadata)
    async with changing(session, subscription, actor=actor, action="checkout_completed") as change:
        adopting = subscription.stripe_subscription_id != checkout.subscription
        subscription.stripe_subscription_id = checkout.subscription
        # A plan set by a newer subscription snapshot (a later change of plan) stays.
        synced_at = subscription.stripe_synced_at
        if found and (adopting or synced_at is None or version >= synced_at):
            subscription.plan_id, subscription.billing_period = found[0].id, found[1]
        if checkout.payment_status in ("paid", "no_payment_required"):
            _set_status(subscription, ACTIVE, version)
    return change.changed


async def renew_from_invoice(
    session: AsyncSession,
    subscription: Subscription,
    invoice: stripe.Invoice,
    *,
    version: datetime,
    actor: str,
) -> bool:
    """A paid invoice: period renewed, active again, dunning over. True if dunning was running."""
    stripe_subscription_id = invoice.subscription_id
    if stripe_subscription_id is None:
        return False
    if not await follows(session, subscription, stripe_subscription_id, None):
        return False
    async with changing(session, subscription, actor=actor, action="invoice_paid"):
        await _adopt_from_invoice(session, subscription, invoice, stripe_subscription_id)
        period = invoice.service_period
        if period is not None:
            _extend_period(subscription, period.start, period.end, replace=False)
        _set_status(subscription, ACTIVE, version)
        action = subscription.action_required
        if action is not None and action.get("invoice_id") == invoice.id:
            subscription.action_required = None
    # Paying this invoice settles its own schedule; being active again settles them all.
    settled = None if subscription.status == ACTIVE else invoice.id
    recovered = await dunning.stop(
        session, subscription.company_id, "recovered", version, only_invoice=settled
    )
    return recovered > 0


async def fail_from_invoice(
    session: AsyncSession,
    subscription: Subscription,
    invoice: stripe.Invoice,
    *,
    invoice_status: str | None,
    version: datetime,
    actor: str,
) -> bool:
    """A failed renewal: past due, and the dunning schedule starts. True if it started now."""
    stripe_subscription_id = invoice.subscription_id
    if stripe_subscription_id is None or invoice.id is None:
        return False
    # The first payment belongs to the checkout: the company keeps its trial until it succeeds.
    if invoice.billing_reason == "subscription_create" or invoice_status == PAID_INVOICE:
        return False
    if not await follows(session, subscription, stripe_subscription_id, None):
        return False
    async with changing(session, subscription, actor=actor, action="invoice_payment_failed"):
        await _adopt_from_invoice(session, subscription, invoice, stripe_subscription_id)
        _set_status(subscription, PAST_DUE, version)
    if subscription.status != PAST_DUE:
        return False
    return await dunning.start(
        session, subscription.company_id, invoice.id, stripe_subscription_id, version
    )


async def _adopt_from_invoice(
    session: AsyncSession,
    subscription: Subscription,
    invoice: stripe.Invoice,
    stripe_subscription_id: str,
) -> None:
    """Take the invoice's subscription when it is the first news of it we have."""
    if subscription.stripe_subscription_id == stripe_subscription_id and subscription.plan_id:
        return
    subscription.stripe_subscription_id = stripe_subscription_id
    found = await _plan_from_metadata(session, invoice.subscription_metadata)
    if found is not None:
        subscription.plan_id, subscription.billing_period = found[0].id, found[1]


async def require_action(
    session: AsyncSession,
    subscription: Subscription,
    *,
    invoice_id: str | None,
    hosted_invoice_url: str | None,
    actor: str,
) -> None:
    """Show the user that a payment needs them (3-D Secure), with where to complete it."""
    async with changing(session, subscription, actor=actor, action="payment_action_required"):
        subscription.action_required = {
            "type": "confirm_payment",
            "invoice_id": invoice_id,
            "hosted_invoice_url": hosted_invoice_url,
        }


async def end_for_nonpayment(
    session: AsyncSession,
    subscription: Subscription,
    stripe_subscription: stripe.Subscription | None,
    *,
    actor: str,
) -> None:
    """Dunning is over: the subscription is cancelled and the company has no paid plan."""
    async with changing(session, subscription, actor=actor, action="cancelled_for_nonpayment"):
        if stripe_subscription is not None:
            subscription.stripe_status = stripe_subscription.status
            subscription.canceled_at = stripe.from_timestamp(stripe_subscription.canceled_at)
        _set_status(subscription, CANCELLED, None)
        subscription.action_required = None


async def check_trial(
    session: AsyncSession, subscription: Subscription, *, now: datetime, actor: str
) -> None:
    """Expire a trial that is over without a paid plan; warn TRIAL_NOTICE_BEFORE its end."""
    trial_end = subscription.trial_ends_at
    if subscription.status != TRIAL or trial_end is None:
        return
    if trial_end <= now:
        async with changing(session, subscription, actor=actor, action="trial_expired"):
            _set_status(subscription, EXPIRED, None)
        await notify(
            session,
            subscription.company_id,
            "trial_expired",
            "Your trial has ended",
            "Choose a plan to keep using Finance Hub.",
        )
    elif trial_end - TRIAL_NOTICE_BEFORE <= now and subscription.trial_notice_sent_at is None:
        subscription.trial_notice_sent_at = now
        await notify(
            session,
            subscription.company_id,
            "trial_ending",
            "Your trial ends soon",
            f"Your trial ends on {trial_end:%Y-%m-%d}; choose a plan to keep your data flowing.",
            {"trial_ends_at": trial_end.isoformat()},
        )


async def notify_if_started(session: AsyncSession, subscription: Subscription, was: str) -> None:
    """Welcome a company whose paid subscription has just started (whichever event started it)."""
    if was in REPLACEABLE and subscription.status == ACTIVE:
        await notify(
            session,
            subscription.company_id,
            "subscription_active",
            "Subscription active",
            "Thank you! Your subscription is active.",
        )
