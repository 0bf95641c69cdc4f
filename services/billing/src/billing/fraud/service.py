"""Early fraud warnings: the payment and the company flagged, the user told, and optionally the
charge refunded before it becomes a dispute (BILLING_AUTO_REFUND_FRAUD_WARNINGS)."""

from __future__ import annotations

from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.audit import service as audit
from billing.fraud import repository
from billing.fraud.models import FraudWarning
from billing.notifications.service import notify
from billing.payments import service as payments
from billing.payments.events import locked_payment
from billing.stripe import payloads as stripe
from billing.stripe.client import stripe_errors
from billing.subscriptions import service as subscriptions
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable

log = structlog.get_logger(__name__)

REFUNDED = "refunded"
REFUND_FAILED = "failed"


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


async def refund_flagged_charge(
    database: Database, stripe_client: stripe_sdk.StripeClient, warning_id: UUID
) -> None:
    """Refund the warned charge in full if still pending, with no transaction open while Stripe
    answers; the key makes a retry (or a concurrent run) return the same refund."""
    async with database.transaction() as session:
        warning = await repository.get(session, warning_id)
    if warning is None or warning.refund_status != repository.PENDING_REFUND:
        return
    outcome, reason = await _refund_at_stripe(stripe_client, warning)
    async with database.transaction() as session:
        await _record_refund(session, warning, outcome, reason)


async def _refund_at_stripe(
    stripe_client: stripe_sdk.StripeClient, warning: FraudWarning
) -> tuple[str, str | None]:
    """The refund's outcome, and why Stripe refused it if it did."""
    try:
        with stripe_errors("refund the charge"):
            await stripe_client.v1.refunds.create_async(
                params={"charge": warning.stripe_charge_id, "reason": "fraudulent"},
                options={"idempotency_key": f"fraud-refund-{warning.stripe_warning_id}"},
            )
    except ProviderUnavailable:
        raise  # Stripe unreachable: the refund stays pending and is tried again next run
    except ProviderError as error:
        return REFUND_FAILED, error.message
    return REFUNDED, None


async def _record_refund(
    session: AsyncSession, warning: FraudWarning, outcome: str, reason: str | None
) -> None:
    """Keep the refund's outcome, unless another run kept it first."""
    await subscriptions.lock(session, warning.company_id)
    record = await repository.get_for_update(session, warning.id)
    if record is None or record.refund_status != repository.PENDING_REFUND:
        return
    record.refund_status, record.refund_error = outcome, reason
    await session.flush()
    await audit.record(
        session,
        record.company_id,
        actor=audit.job_actor("fraud-refunds"),
        action="fraud_refund",
        after={"warning_id": str(record.id), "refund_status": record.refund_status},
    )
