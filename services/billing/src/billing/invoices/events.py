"""Invoices, and what their events do: renewal when paid, dunning when not, 3-D Secure requests.

Every handler here holds the company's subscription row lock for the whole transaction.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit.service import event_actor
from billing.dunning import service as dunning
from billing.invoices import repository
from billing.invoices.models import Invoice
from billing.notifications.service import notify
from billing.payments import service as payments
from billing.stripe import payloads as stripe
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription

# Statuses an invoice never leaves (an uncollectible invoice may still be paid).
FINAL = frozenset({"paid", "void"})


async def record(
    session: AsyncSession, company_id: UUID, invoice: stripe.Invoice, version: datetime
) -> Invoice | None:
    """Our copy of the invoice, unless what we hold is newer or final."""
    if invoice.id is None or invoice.status is None:
        return None
    existing = await repository.by_stripe_id(session, invoice.id)
    if existing is None:
        existing = Invoice(company_id=company_id, stripe_invoice_id=invoice.id, synced_at=version)
        session.add(existing)
    elif version < existing.synced_at or (existing.status in FINAL and invoice.status not in FINAL):
        return existing
    period = invoice.service_period
    existing.stripe_subscription_id = invoice.subscription_id
    existing.number = invoice.number
    existing.status = invoice.status
    existing.billing_reason = invoice.billing_reason
    existing.amount_due_cents = invoice.amount_due
    existing.amount_paid_cents = invoice.amount_paid
    existing.currency = invoice.currency.upper()
    existing.hosted_invoice_url = invoice.hosted_invoice_url
    existing.invoice_pdf_url = invoice.invoice_pdf
    existing.period_start = stripe.from_timestamp(period.start) if period else None
    existing.period_end = stripe.from_timestamp(period.end) if period else None
    existing.stripe_created_at = stripe.from_timestamp(invoice.created) or version
    existing.synced_at = version
    await session.flush()
    return existing


async def _locked_subscription(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> Subscription | None:
    return await subscriptions.lock_for_event(
        session,
        event,
        metadata=invoice.subscription_metadata,
        customer_id=invoice.customer,
        stripe_subscription_id=invoice.subscription_id,
    )


async def invoice_changed(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> None:
    """invoice.created / finalized / voided / marked_uncollectible / updated: keep our copy."""
    subscription = await _locked_subscription(session, event, invoice)
    if subscription is not None:
        await record(session, subscription.company_id, invoice, event.created_at)


async def invoice_paid(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> None:
    """invoice.paid / invoice.payment_succeeded: period renewed, payment recorded, dunning over."""
    subscription = await _locked_subscription(session, event, invoice)
    if subscription is None:
        return
    await settle_paid(
        session, subscription, invoice, event.created_at, actor=event_actor("stripe", event.id)
    )


async def settle_paid(
    session: AsyncSession,
    subscription: Subscription,
    invoice: stripe.Invoice,
    version: datetime,
    *,
    actor: str,
) -> None:
    """A paid invoice, whether Stripe's event or the answer to our own retry tells it first: the
    other one, coming later, changes nothing and tells nobody again."""
    was = subscription.status
    stored = await record(session, subscription.company_id, invoice, version)
    await payments.record_for_invoice(
        session, subscription.company_id, invoice, payments.SUCCEEDED, version
    )
    recovered = await subscriptions.renew_from_invoice(
        session, subscription, invoice, version=version, actor=actor
    )
    await subscriptions.notify_if_started(session, subscription, was)
    if stored is not None and stored.paid_notice_at is None:
        await _tell_paid(session, stored, invoice, recovered, version)


async def _tell_paid(
    session: AsyncSession,
    stored: Invoice,
    invoice: stripe.Invoice,
    recovered: bool,
    version: datetime,
) -> None:
    """Once per invoice: a recovered payment, or an ordinary renewal with its invoice (the first
    invoice of a checkout is told by the subscription's start)."""
    links = {
        "invoice_id": invoice.id,
        "hosted_invoice_url": invoice.hosted_invoice_url,
        "invoice_pdf_url": invoice.invoice_pdf,
    }
    if recovered:
        await notify(
            session,
            stored.company_id,
            "payment_recovered",
            "Payment received",
            "Your payment went through and your subscription is active again.",
            links,
        )
    elif invoice.billing_reason == "subscription_cycle":
        currency = invoice.currency.upper()
        period = invoice.service_period
        until = stripe.from_timestamp(period.end) if period else None
        renewed = f"renewed until {until:%Y-%m-%d}" if until else "renewed"
        await notify(
            session,
            stored.company_id,
            "renewal_paid",
            "Subscription renewed",
            f"We charged {invoice.amount_paid / 100:.2f} {currency} and your subscription is "
            f"{renewed}. Your invoice is ready.",
            {**links, "amount_paid_cents": invoice.amount_paid, "currency": currency},
        )
    else:
        return
    stored.paid_notice_at = version
    await session.flush()


async def invoice_payment_failed(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> None:
    """invoice.payment_failed: failed payment recorded; a renewal goes past due and into dunning."""
    subscription = await _locked_subscription(session, event, invoice)
    if subscription is None:
        return
    version = event.created_at
    stored = await record(session, subscription.company_id, invoice, version)
    await payments.record_for_invoice(
        session,
        subscription.company_id,
        invoice,
        payments.FAILED,
        version,
        failure_message="The card was not charged.",
    )
    dunning_started = await subscriptions.fail_from_invoice(
        session,
        subscription,
        invoice,
        invoice_status=stored.status if stored else None,
        version=version,
        actor=event_actor("stripe", event.id),
    )
    if dunning_started:
        await _tell_failed_renewal(session, subscription, invoice, version)
    elif invoice.billing_reason == "subscription_create":
        await notify(
            session,
            subscription.company_id,
            "payment_failed",
            "Payment failed",
            "We could not charge your card. Update your payment method to keep your plan.",
            {"invoice_id": invoice.id, "hosted_invoice_url": invoice.hosted_invoice_url},
        )


async def _tell_failed_renewal(
    session: AsyncSession, subscription: Subscription, invoice: stripe.Invoice, failed_at: datetime
) -> None:
    """The renewal failed: the day billing charges again is told now, so the company has the
    days until then to update its card (which retries at once)."""
    retry_at = dunning.first_retry_at(failed_at)
    await notify(
        session,
        subscription.company_id,
        "payment_failed",
        "Payment failed",
        f"We could not charge your card. We will try again on {retry_at:%Y-%m-%d}; update "
        "your payment method before then to keep your plan.",
        {
            "invoice_id": invoice.id,
            "hosted_invoice_url": invoice.hosted_invoice_url,
            "next_retry_at": retry_at.isoformat(),
        },
    )


async def invoice_action_required(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> None:
    """invoice.payment_action_required: the user must confirm the payment (3-D Secure)."""
    subscription = await _locked_subscription(session, event, invoice)
    if subscription is None:
        return
    stored = await record(session, subscription.company_id, invoice, event.created_at)
    if stored is None or stored.status in FINAL:
        return
    await ask_for_action(session, subscription, stored, actor=event_actor("stripe", event.id))


async def ask_for_action(
    session: AsyncSession, subscription: Subscription, invoice: Invoice, *, actor: str
) -> None:
    """Show the action on the subscription and notify the user, once per invoice."""
    action = subscription.action_required
    if action is not None and action.get("invoice_id") == invoice.stripe_invoice_id:
        return
    await subscriptions.require_action(
        session,
        subscription,
        invoice_id=invoice.stripe_invoice_id,
        hosted_invoice_url=invoice.hosted_invoice_url,
        actor=actor,
    )
    await notify(
        session,
        subscription.company_id,
        "payment_action_required",
        "Confirm your payment",
        "Your bank asks you to confirm this payment. Open the invoice to complete it.",
        {"invoice_id": invoice.stripe_invoice_id, "hosted_invoice_url": invoice.hosted_invoice_url},
    )


async def invoice_upcoming(
    session: AsyncSession, event: stripe.StripeEvent, invoice: stripe.Invoice
) -> None:
    """invoice.upcoming: tell the company a renewal is coming (the invoice does not exist yet)."""
    subscription = await _locked_subscription(session, event, invoice)
    if subscription is None or subscription.status != subscriptions.ACTIVE:
        return
    await notify(
        session,
        subscription.company_id,
        "renewal_upcoming",
        "Your subscription renews soon",
        f"Your next invoice will be {invoice.amount_due / 100:.2f} {invoice.currency.upper()}.",
        {"amount_due_cents": invoice.amount_due, "currency": invoice.currency.upper()},
    )
