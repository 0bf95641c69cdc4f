"""A company pays for one subscription: a second live one that Stripe made anyway (two checkout
sessions both paid) is cancelled at Stripe and its first payment refunded.

The event handler only records it (`record`). The worker's job (`settle`) calls Stripe with no
transaction open, one step at a time, writing each step's outcome before the next, with keys
derived from our record's id: a retry after a failure or a crash repeats nothing at Stripe.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from stripe.params import RefundCreateParams

from billing.audit import service as audit
from billing.notifications.service import notify
from billing.stripe import payloads as stripe
from billing.stripe.client import stripe_call
from billing.subscriptions import repository, service
from billing.subscriptions.models import DuplicateSubscription, Subscription
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.events import utcnow

log = structlog.get_logger(__name__)

TO_CANCEL = "to_cancel"
TO_REFUND = "to_refund"
SETTLED = "settled"
JOB = "duplicate-subscriptions"


def is_duplicate(subscription: Subscription, stripe_subscription: stripe.Subscription) -> bool:
    """Whether a live Stripe subscription is a second one of a company subscribed to another."""
    return (
        subscription.status in service.SUBSCRIBED
        and subscription.stripe_subscription_id not in (None, stripe_subscription.id)
        and stripe_subscription.status not in service.STRIPE_ENDED
    )


async def record(
    session: AsyncSession,
    subscription: Subscription,
    stripe_subscription: stripe.Subscription,
    *,
    version: datetime,
    actor: str,
) -> None:
    """Mark a duplicate for the worker to cancel and refund (once, however often Stripe tells)."""
    known = await repository.duplicate_by_stripe_id(session, stripe_subscription.id)
    if known is not None:
        known.first_invoice_id = known.first_invoice_id or stripe_subscription.latest_invoice
        return
    session.add(
        DuplicateSubscription(
            company_id=subscription.company_id,
            stripe_subscription_id=stripe_subscription.id,
            first_invoice_id=stripe_subscription.latest_invoice,
            status=TO_CANCEL,
            attempts=0,
            detected_at=version,
        )
    )
    await session.flush()
    await audit.record(
        session,
        subscription.company_id,
        actor=actor,
        action="duplicate_subscription_found",
        after={
            "stripe_subscription_id": stripe_subscription.id,
            "kept_stripe_subscription_id": subscription.stripe_subscription_id,
        },
    )


async def settle(
    database: Database, stripe_client: stripe_sdk.StripeClient, duplicate_id: UUID
) -> None:
    """Cancel the duplicate at Stripe, then refund its first payment; each step kept once done."""
    async with database.transaction() as session:
        duplicate = await repository.duplicate(session, duplicate_id)
    if duplicate is None or duplicate.status == SETTLED:
        return
    if duplicate.status == TO_CANCEL:
        cancelled = await _cancel_at_stripe(stripe_client, duplicate)
        async with database.transaction() as session:
            duplicate = await _record_cancelled(session, duplicate_id, cancelled)
    if duplicate is None or duplicate.status != TO_REFUND:
        return
    refund = await _refund_first_payment(stripe_client, duplicate)
    async with database.transaction() as session:
        await _record_settled(session, duplicate_id, refund)


async def count_failure(database: Database, duplicate_id: UUID, reason: str) -> None:
    """Keep why a run failed; the job stops trying after `attempts` reaches its limit."""
    async with database.transaction() as session:
        duplicate = await repository.duplicate_for_update(session, duplicate_id)
        if duplicate is not None:
            duplicate.attempts += 1
            duplicate.last_error = reason


async def _cancel_at_stripe(
    stripe_client: stripe_sdk.StripeClient, duplicate: DuplicateSubscription
) -> stripe.Subscription:
    """The duplicate cancelled at once (no proration, no final invoice)."""
    try:
        return await stripe_call(
            "cancel the duplicate subscription",
            stripe.Subscription,
            stripe_client.v1.subscriptions.cancel_async(
                duplicate.stripe_subscription_id,
                options={"idempotency_key": f"duplicate-cancel-{duplicate.id}"},
            ),
        )
    except ProviderUnavailable:
        raise
    except ProviderError:
        # Stripe refuses to cancel twice: a subscription that has ended is what we asked for.
        current = await stripe_call(
            "read the duplicate subscription",
            stripe.Subscription,
            stripe_client.v1.subscriptions.retrieve_async(duplicate.stripe_subscription_id),
        )
        if current.status not in service.STRIPE_ENDED:
            raise
        return current


async def _record_cancelled(
    session: AsyncSession, duplicate_id: UUID, cancelled: stripe.Subscription
) -> DuplicateSubscription | None:
    duplicate = await _locked(session, duplicate_id)
    if duplicate is not None and duplicate.status == TO_CANCEL:
        duplicate.status = TO_REFUND
        duplicate.first_invoice_id = duplicate.first_invoice_id or cancelled.latest_invoice
    return duplicate


async def _refund_first_payment(
    stripe_client: stripe_sdk.StripeClient, duplicate: DuplicateSubscription
) -> stripe.Refund | None:
    """The refund of the first invoice's payment in full; None when that invoice was not paid."""
    if duplicate.first_invoice_id is None:
        return None
    invoice = await stripe_call(
        "read the duplicate's first invoice",
        stripe.Invoice,
        stripe_client.v1.invoices.retrieve_async(
            duplicate.first_invoice_id, params={"expand": ["payments"]}
        ),
    )
    params = _refund_params(duplicate, invoice)
    if invoice.status != service.PAID_INVOICE or params is None:
        log.info("duplicate_first_invoice_unpaid", stripe_invoice=invoice.id)
        return None
    return await stripe_call(
        "refund the duplicate subscription's payment",
        stripe.Refund,
        stripe_client.v1.refunds.create_async(
            params=params, options={"idempotency_key": f"duplicate-refund-{duplicate.id}"}
        ),
    )


def _refund_params(
    duplicate: DuplicateSubscription, invoice: stripe.Invoice
) -> RefundCreateParams | None:
    """A full refund of what paid the invoice: its payment intent, else its charge."""
    params: RefundCreateParams = {
        "reason": "duplicate",
        "metadata": {
            "company_id": str(duplicate.company_id),
            "stripe_subscription_id": duplicate.stripe_subscription_id,
        },
    }
    if invoice.payment_intent_id is not None:
        params["payment_intent"] = invoice.payment_intent_id
        return params
    for invoice_payment in invoice.payments.data if invoice.payments else []:
        if invoice_payment.payment and invoice_payment.payment.charge:
            params["charge"] = invoice_payment.payment.charge
            return params
    return None


async def _record_settled(
    session: AsyncSession, duplicate_id: UUID, refund: stripe.Refund | None
) -> None:
    """Settled, audited and told to the company, unless another run did it first."""
    duplicate = await _locked(session, duplicate_id)
    if duplicate is None or duplicate.status != TO_REFUND:
        return
    duplicate.status = SETTLED
    duplicate.settled_at = utcnow()
    duplicate.stripe_refund_id = refund.id if refund else None
    duplicate.refunded_cents = refund.amount if refund else None
    details = {
        "stripe_subscription_id": duplicate.stripe_subscription_id,
        "stripe_refund_id": duplicate.stripe_refund_id,
        "refunded_cents": duplicate.refunded_cents,
    }
    await audit.record(
        session,
        duplicate.company_id,
        actor=audit.job_actor(JOB),
        action="duplicate_subscription_cancelled",
        after=details,
    )
    refunded = "and refunded its payment" if refund else "before it was paid"
    await notify(
        session,
        duplicate.company_id,
        "duplicate_subscription_cancelled",
        "Second subscription cancelled",
        f"Your company already had a subscription, so we cancelled the second one {refunded}.",
        details,
    )


async def _locked(session: AsyncSession, duplicate_id: UUID) -> DuplicateSubscription | None:
    """The duplicate, locked after its company's subscription (the order every change takes)."""
    duplicate = await repository.duplicate(session, duplicate_id)
    if duplicate is None:
        return None
    await service.lock(session, duplicate.company_id)
    return await repository.duplicate_for_update(session, duplicate_id)
