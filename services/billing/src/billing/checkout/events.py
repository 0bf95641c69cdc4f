"""What Stripe's checkout.session.* events do: the subscription starts once the payment is in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.checkout import repository as checkouts
from billing.notifications.service import notify
from billing.payments import service as payments
from billing.stripe import payloads as stripe
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription

PAID = ("paid", "no_payment_required")


async def _settle(session: AsyncSession, checkout: stripe.CheckoutSession, status: str) -> None:
    """Our record of the session leaves the open ones: paid (complete) or expired."""
    record = await checkouts.by_stripe_id(session, checkout.id)
    if record is not None and record.status != "complete":
        record.status = status


async def _locked(
    session: AsyncSession, event: stripe.StripeEvent, checkout: stripe.CheckoutSession
) -> Subscription | None:
    return await subscriptions.lock_for_event(
        session,
        event,
        metadata=checkout.metadata,
        customer_id=checkout.customer,
        stripe_subscription_id=checkout.subscription,
        ours=checkout.mode in (None, "subscription"),
    )


async def checkout_completed(
    session: AsyncSession, event: stripe.StripeEvent, checkout: stripe.CheckoutSession
) -> None:
    """completed / async_payment_succeeded: the subscription is active once paid."""
    subscription = await _locked(session, event, checkout)
    if subscription is None:
        return
    await _settle(session, checkout, "complete")
    paid = checkout.payment_status in PAID
    status = payments.SUCCEEDED if paid else payments.PROCESSING
    await payments.record_for_checkout(
        session, subscription.company_id, checkout, status, event.created_at
    )
    was = subscription.status
    await subscriptions.activate_from_checkout(
        session,
        subscription,
        checkout,
        version=event.created_at,
        actor=audit.event_actor("stripe", event.id),
    )
    await subscriptions.notify_if_started(session, subscription, was)


async def checkout_payment_failed(
    session: AsyncSession, event: stripe.StripeEvent, checkout: stripe.CheckoutSession
) -> None:
    """async_payment_failed: the delayed payment (boleto, debit) did not go through."""
    subscription = await _locked(session, event, checkout)
    if subscription is None:
        return
    await payments.record_for_checkout(
        session, subscription.company_id, checkout, payments.FAILED, event.created_at
    )
    await audit.record(
        session,
        subscription.company_id,
        actor=audit.event_actor("stripe", event.id),
        action="checkout_payment_failed",
        after={"checkout_session_id": checkout.id},
    )
    await notify(
        session,
        subscription.company_id,
        "payment_failed",
        "Payment failed",
        "The payment for your subscription did not go through; please try again.",
        {"checkout_session_id": checkout.id},
    )


async def checkout_expired(
    session: AsyncSession, event: stripe.StripeEvent, checkout: stripe.CheckoutSession
) -> None:
    """expired: the checkout was abandoned (or replaced); nothing changes but the audit log."""
    subscription = await _locked(session, event, checkout)
    if subscription is None:
        return
    await _settle(session, checkout, "expired")
    await audit.record(
        session,
        subscription.company_id,
        actor=audit.event_actor("stripe", event.id),
        action="checkout_expired",
        after={"checkout_session_id": checkout.id},
    )
