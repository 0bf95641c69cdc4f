"""Payments: one per invoice, linked to its payment intent and charge as Stripe reveals them.

Statuses: pending, processing, succeeded, failed, cancelled, refunded. A success is final but for
a refund; other statuses follow the newest Stripe event, so a late failure never hides a success.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import metrics, repository
from billing.payments.models import Payment, Refund
from billing.stripe import payloads as stripe

log = structlog.get_logger(__name__)

PENDING = "pending"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
REFUNDED = "refunded"

# A payment intent's status in ours; requires_* mean the payment is still open.
FROM_INTENT_STATUS = {
    "requires_payment_method": PENDING,
    "requires_confirmation": PENDING,
    "requires_action": PENDING,
    "processing": PROCESSING,
    "requires_capture": PROCESSING,
    "succeeded": SUCCEEDED,
    "canceled": CANCELLED,
}


def _may_move(payment: Payment, status: str, version: datetime) -> bool:
    if payment.status == REFUNDED:
        return False
    if payment.status == SUCCEEDED:
        return status == REFUNDED
    return status in (SUCCEEDED, REFUNDED) or version >= payment.synced_at


def _move(payment: Payment, status: str, version: datetime) -> bool:
    """Set the status if allowed; True if it changed."""
    if status == payment.status or not _may_move(payment, status, version):
        return False
    payment.status = status
    metrics.PAYMENTS_ENTERING.labels(status).inc()
    payment.synced_at = max(version, payment.synced_at)
    if status == SUCCEEDED:
        payment.paid_at = payment.paid_at or version
        payment.failure_message = None
    return True


async def record_for_invoice(
    session: AsyncSession,
    company_id: UUID,
    invoice: stripe.Invoice,
    status: str,
    version: datetime,
    failure_message: str | None = None,
) -> Payment | None:
    """The payment of a subscription invoice, created or moved to `status`."""
    if invoice.id is None:
        return None
    intent_id = invoice.payment_intent_id
    payment = await repository.by_stripe_ids(session, invoice_id=invoice.id, intent_id=intent_id)
    amount = invoice.amount_paid if status == SUCCEEDED else invoice.amount_due
    if payment is None:
        payment = Payment(
            company_id=company_id,
            stripe_invoice_id=invoice.id,
            requested_at=stripe.from_timestamp(invoice.created) or version,
            amount_cents=amount,
            amount_refunded_cents=0,
            currency=invoice.currency.upper(),
            status=status,
            synced_at=version,
            paid_at=version if status == SUCCEEDED else None,
            failure_message=failure_message,
        )
        session.add(payment)
        metrics.PAYMENTS_ENTERING.labels(status).inc()
    elif _move(payment, status, version):
        payment.amount_cents = amount or payment.amount_cents
        if status == FAILED:
            payment.failure_message = failure_message
    payment.stripe_invoice_id = invoice.id
    payment.stripe_payment_intent_id = payment.stripe_payment_intent_id or intent_id
    await session.flush()
    return payment


async def record_for_checkout(
    session: AsyncSession,
    company_id: UUID,
    checkout: stripe.CheckoutSession,
    status: str,
    version: datetime,
) -> Payment | None:
    """The first payment, as the checkout reports it (its invoice events complete it)."""
    if checkout.invoice is None:
        return None
    payment = await repository.by_invoice(session, checkout.invoice)
    if payment is None:
        payment = Payment(
            company_id=company_id,
            stripe_invoice_id=checkout.invoice,
            requested_at=version,
            amount_cents=checkout.amount_total or 0,
            amount_refunded_cents=0,
            currency=(checkout.currency or "brl").upper(),
            status=status,
            synced_at=version,
            paid_at=version if status == SUCCEEDED else None,
        )
        session.add(payment)
        metrics.PAYMENTS_ENTERING.labels(status).inc()
    else:
        _move(payment, status, version)
    await session.flush()
    return payment


async def payment_of(
    session: AsyncSession, *, intent_id: str | None, charge_id: str | None = None
) -> Payment | None:
    """The payment a charge belongs to, else the one a payment intent makes, if we know it."""
    return await repository.by_stripe_ids(session, charge_id=charge_id, intent_id=intent_id)


def apply_payment_intent(payment: Payment, intent: stripe.PaymentIntent, version: datetime) -> bool:
    """Follow a payment intent's status; True if the payment changed."""
    status = FROM_INTENT_STATUS.get(intent.status, payment.status)
    error = intent.last_payment_error
    if intent.status == "requires_payment_method" and error is not None:
        status = FAILED
    moved = _move(payment, status, version)
    # The intent knows why the card was declined; an invoice event only knows that it was.
    if status == FAILED and payment.status == FAILED and error is not None:
        moved = moved or payment.failure_message != error.message
        payment.failure_message = error.message
    return moved


def apply_charge(payment: Payment, charge: stripe.Charge, version: datetime) -> bool:
    """Follow a charge: succeeded, failed, or refunded in part or in full. True if it changed."""
    payment.stripe_charge_id = payment.stripe_charge_id or charge.id
    before = (payment.status, payment.amount_refunded_cents)
    if charge.amount_refunded > payment.amount_refunded_cents:
        payment.amount_refunded_cents = charge.amount_refunded
    if charge.refunded or charge.amount_refunded >= charge.amount > 0:
        _move(payment, REFUNDED, version)
    elif charge.status == "succeeded":
        _move(payment, SUCCEEDED, version)
    elif charge.status == "failed" and _move(payment, FAILED, version):
        payment.failure_message = charge.failure_message
    elif charge.status == "pending":
        _move(payment, PROCESSING, version)
    return (payment.status, payment.amount_refunded_cents) != before


async def record_refund(
    session: AsyncSession, payment: Payment, refund: stripe.Refund, version: datetime
) -> Refund:
    """A refund of the payment, as Stripe last described it."""
    existing = await repository.refund(session, refund.id)
    if existing is None:
        existing = Refund(
            company_id=payment.company_id,
            payment_id=payment.id,
            stripe_refund_id=refund.id,
            amount_cents=refund.amount,
            currency=refund.currency.upper(),
            status=refund.status,
            reason=refund.reason,
            synced_at=version,
        )
        session.add(existing)
    elif version >= existing.synced_at:
        existing.status, existing.amount_cents, existing.synced_at = (
            refund.status,
            refund.amount,
            version,
        )
    await session.flush()
    return existing
