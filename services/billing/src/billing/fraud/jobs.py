"""Refunds of charges reported as fraud, when BILLING_AUTO_REFUND_FRAUD_WARNINGS is on.

Stripe is called from this job rather than from the event handler, so an event never waits on
Stripe while it holds the company's lock, and a Stripe outage only delays the refund.
"""

from __future__ import annotations

import stripe as stripe_sdk
import structlog

from billing.fraud import repository, service
from billing.subscriptions import service as subscriptions
from finhub_shared.db import Database
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 100


async def refund_flagged_charges(database: Database, stripe_client: stripe_sdk.StripeClient) -> int:
    """Refund every charge waiting for it; how many were tried."""
    async with database.sessions() as session:
        pending = await repository.awaiting_refund(session, BATCH)
    for warning_id, company_id in pending:
        try:
            async with database.transaction() as session:
                await subscriptions.lock(session, company_id)
                warning = await repository.get_for_update(session, warning_id)
                if warning is not None and warning.refund_status == repository.PENDING_REFUND:
                    await service.refund_flagged_charge(session, stripe_client, warning)
        except Exception:
            log.exception("fraud_refund_failed", warning_id=str(warning_id))
    return len(pending)


def fraud_refunds_job(stripe_client: stripe_sdk.StripeClient, every_seconds: float) -> PeriodicJob:
    """The worker's periodic refund of flagged charges."""

    async def run(database: Database) -> None:
        await refund_flagged_charges(database, stripe_client)

    return PeriodicJob("fraud-refunds", every_seconds, run)
