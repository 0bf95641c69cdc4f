"""Refunds of charges reported as fraud, when BILLING_AUTO_REFUND_FRAUD_WARNINGS is on.

Stripe is called from this job rather than from the event handler, so an event never waits on
Stripe, and with no transaction open (see `service.refund_flagged_charge`); a Stripe outage only
delays the refund.
"""

from __future__ import annotations

import stripe as stripe_sdk
import structlog

from billing.fraud import repository, service
from billing.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 100


async def refund_flagged_charges(database: Database, stripe_client: stripe_sdk.StripeClient) -> int:
    """Refund every charge waiting for it; how many were tried."""
    async with database.transaction() as session:
        pending = await repository.awaiting_refund(session, BATCH)
    for warning_id in pending:
        try:
            await service.refund_flagged_charge(database, stripe_client, warning_id)
        except Exception:
            log.exception("fraud_refund_failed", warning_id=str(warning_id))
    return len(pending)


async def refund_flagged_charges_now(runtime: Runtime) -> None:
    """One run of the worker's refund job."""
    await refund_flagged_charges(runtime.database, runtime.stripe)


def fraud_refunds_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic refund of flagged charges."""
    return PeriodicJob("fraud-refunds", every_seconds, refund_flagged_charges_now)
