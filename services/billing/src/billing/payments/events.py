"""What Stripe's payment_intent.* and charge.* events do to the payments we hold.

Payments are created by invoice and checkout events, which name the payment intent; these events
only update them. One for a payment we do not know (not ours, or not yet) is logged and dropped.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.invoices import repository as invoices
from billing.invoices.events import ask_for_action
from billing.notifications.service import notify
from billing.payments import repository, service
from billing.payments.models import Payment
from billing.stripe import payloads as stripe
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription


async def locked_payment(
    session: AsyncSession,
    event: stripe.StripeEvent,
    *,
    intent_id: str | None,
    charge_id: str | None = None,
) -> tuple[Subscription, Payment] | None:
    """The payment, read under its company's subscription row lock; None if unknown."""
    # One statement finds the payment's company and locks its subscription. An unknown payment
    # is usual for a subscription's: Stripe sends the intent's and the charge's events before the
    # invoice's, which record the payment (and carry the same outcome).
    subscription = await subscriptions.lock_for_event(
        session,
        event,
        company_id=repository.company_by_stripe_ids(charge_id=charge_id, intent_id=intent_id),
        usual=True,
    )
    if subscription is None:
        return None
    payment = await service.payment_of(session, intent_id=intent_id, charge_id=charge_id)
    return None if payment is None else (subscription, payment)


async def _audit(
    session: AsyncSession, event: stripe.StripeEvent, payment: Payment, before: str
) -> None:
    await audit.record(
        session,
        payment.company_id,
        actor=audit.event_actor("stripe", event.id),
        action=event.type,
        before={"payment_id": str(payment.id), "status": before},
        after={
            "payment_id": str(payment.id),
            "status": payment.status,
            "amount_refunded_cents": payment.amount_refunded_cents,
        },
    )


async def payment_intent_changed(
    session: AsyncSession, event: stripe.StripeEvent, intent: stripe.PaymentIntent
) -> None:
    """payment_intent.*: follow its status; one that needs 3-D Secure is shown to the user."""
    found = await locked_payment(session, event, intent_id=intent.id)
    if found is None:
        return
    subscription, payment = found
    before = payment.status
    if service.apply_payment_intent(payment, intent, event.created_at):
        await _audit(session, event, payment, before)
    if intent.status == "requires_action" and payment.stripe_invoice_id is not None:
        invoice = await invoices.by_stripe_id(session, payment.stripe_invoice_id)
        if invoice is not None and invoice.status not in ("paid", "void"):
            await ask_for_action(
                session, subscription, invoice, actor=audit.event_actor("stripe", event.id)
            )


async def charge_changed(
    session: AsyncSession, event: stripe.StripeEvent, charge: stripe.Charge
) -> None:
    """charge.succeeded / failed / refunded: the payment's status and refunded amount."""
    found = await locked_payment(
        session, event, intent_id=charge.payment_intent, charge_id=charge.id
    )
    if found is None:
        return
    _, payment = found
    before = payment.status
    if not service.apply_charge(payment, charge, event.created_at):
        return
    await _audit(session, event, payment, before)
    if event.type == "charge.refunded":
        await notify(
            session,
            payment.company_id,
            "payment_refunded",
            "Payment refunded",
            f"{charge.amount_refunded / 100:.2f} {charge.currency.upper()} was refunded to you.",
            {"payment_id": str(payment.id), "amount_refunded_cents": charge.amount_refunded},
        )


async def refund_changed(
    session: AsyncSession, event: stripe.StripeEvent, refund: stripe.Refund
) -> None:
    """charge.refund.updated: the refund's own status (pending, succeeded, failed...)."""
    found = await locked_payment(
        session, event, intent_id=refund.payment_intent, charge_id=refund.charge
    )
    if found is None:
        return
    await service.record_refund(session, found[1], refund, event.created_at)
