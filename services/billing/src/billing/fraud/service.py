"""Refunds of charges reported as fraud (BILLING_AUTO_REFUND_FRAUD_WARNINGS), before they become
disputes: the worker's job refunds each charge `events` marked for it."""

from __future__ import annotations

from uuid import UUID

import stripe as stripe_sdk
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.fraud import repository
from billing.fraud.models import FraudWarning
from billing.stripe.client import stripe_errors
from billing.subscriptions import service as subscriptions
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable

REFUNDED = "refunded"
REFUND_FAILED = "failed"


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
