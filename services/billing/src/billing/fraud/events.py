"""What Stripe's radar.early_fraud_warning.* events do: the payment and the company flagged, the
user told, and the charge marked for refund when BILLING_AUTO_REFUND_FRAUD_WARNINGS is on (the
worker's job refunds it, see `service.refund_flagged_charge`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.audit import service as audit
from billing.fraud import repository
from billing.fraud.models import FraudWarning
from billing.notifications.service import notify
from billing.payments import service as payments
from billing.payments.events import locked_payment
from billing.stripe import payloads as stripe


async def warning_changed(
    session: AsyncSession,
    event: stripe.StripeEvent,
    warning: stripe.EarlyFraudWarning,
    *,
    auto_refund: bool,
) -> None:
    """radar.early_fraud_warning.created / updated."""
    found = await locked_payment(
        session, event, intent_id=warning.payment_intent, charge_id=warning.charge
    )
    if found is None:
        return
    _, payment = found
    record = await repository.by_stripe_id(session, warning.id)
    is_new = record is None
    if record is None:
        record = FraudWarning(
            company_id=payment.company_id,
            payment_id=payment.id,
            stripe_warning_id=warning.id,
            stripe_charge_id=warning.charge,
            synced_at=event.created_at,
        )
        session.add(record)
    elif event.created_at < record.synced_at:
        return
    record.fraud_type = warning.fraud_type
    record.actionable = warning.actionable
    record.synced_at = event.created_at
    refundable = payment.status == payments.SUCCEEDED and warning.actionable
    if auto_refund and refundable and record.refund_status is None:
        record.refund_status = repository.PENDING_REFUND
    payment.fraud_warning = True
    company = await accounts.company_by_id(session, payment.company_id)
    if company is not None and company.fraud_flagged_at is None:
        company.fraud_flagged_at = event.created_at
    await session.flush()
    if is_new:
        await _report(session, event, record)


async def _report(session: AsyncSession, event: stripe.StripeEvent, record: FraudWarning) -> None:
    await audit.record(
        session,
        record.company_id,
        actor=audit.event_actor("stripe", event.id),
        action="fraud_warning",
        after={
            "warning_id": str(record.id),
            "fraud_type": record.fraud_type,
            "refund_status": record.refund_status,
        },
    )
    await notify(
        session,
        record.company_id,
        "fraud_warning",
        "A payment was reported as fraud",
        "The card issuer reported one of your payments as possibly fraudulent.",
        {"warning_id": str(record.id), "fraud_type": record.fraud_type},
    )
