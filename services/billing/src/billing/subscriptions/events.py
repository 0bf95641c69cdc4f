"""What Stripe's customer.subscription.* events do to a company's subscription."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit.service import event_actor
from billing.notifications.service import notify
from billing.stripe import payloads as stripe
from billing.subscriptions import duplicates, repository, service
from billing.subscriptions.models import Subscription


async def _locked(
    session: AsyncSession, event: stripe.StripeEvent, stripe_subscription: stripe.Subscription
) -> Subscription | None:
    return await service.lock_for_event(
        session,
        event,
        metadata=stripe_subscription.metadata,
        customer_id=stripe_subscription.customer,
        stripe_subscription_id=stripe_subscription.id,
    )


async def subscription_changed(
    session: AsyncSession, event: stripe.StripeEvent, stripe_subscription: stripe.Subscription
) -> None:
    """created / updated / paused / resumed / deleted: sync status, plan and period.

    A second live subscription of a company that has one is left to the worker to cancel.
    """
    subscription = await _locked(session, event, stripe_subscription)
    if subscription is None:
        return
    known = await repository.duplicate_by_stripe_id(session, stripe_subscription.id)
    if known is not None or duplicates.is_duplicate(subscription, stripe_subscription):
        await duplicates.record(
            session,
            subscription,
            stripe_subscription,
            version=event.created_at,
            actor=event_actor("stripe", event.id),
        )
        return
    was = subscription.status
    await service.apply_stripe_subscription(
        session,
        subscription,
        stripe_subscription,
        version=event.created_at,
        actor=event_actor("stripe", event.id),
        action=event.type.removeprefix("customer."),
    )
    if subscription.status == was:
        return
    if subscription.status == service.CANCELLED:
        await notify(
            session,
            subscription.company_id,
            "subscription_cancelled",
            "Subscription cancelled",
            "Your subscription has ended; subscribe again at any time to get your plan back.",
        )
    elif subscription.status == service.PAUSED:
        await notify(
            session,
            subscription.company_id,
            "subscription_paused",
            "Subscription paused",
            "Your subscription is paused; resume it to use your plan again.",
        )


async def trial_will_end(
    session: AsyncSession, event: stripe.StripeEvent, stripe_subscription: stripe.Subscription
) -> None:
    """customer.subscription.trial_will_end: remind the user, unless they have already paid."""
    subscription = await _locked(session, event, stripe_subscription)
    if subscription is None or stripe_subscription.status != "trialing":
        return
    await notify(
        session,
        subscription.company_id,
        "trial_ending",
        "Your trial ends soon",
        "Add a payment method to keep your plan when the trial ends.",
        {"trial_end": stripe_subscription.trial_end},
    )
