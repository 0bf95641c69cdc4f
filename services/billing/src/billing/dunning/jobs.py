"""The dunning scheduler: takes each schedule's due step (a reminder, or the cancellation)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing import stripe_payloads
from billing.audit import service as audit
from billing.dunning import repository, service
from billing.dunning.models import DunningSchedule
from billing.invoices import repository as invoices
from billing.notifications.service import notify
from billing.stripe_api import stripe_call
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 200
ACTOR = audit.job_actor("dunning")


async def run_dunning(
    database: Database, stripe_client: stripe_sdk.StripeClient, now: datetime | None = None
) -> int:
    """Take every due step; one company failing (Stripe down) does not hold up the others."""
    now = now or utcnow()
    async with database.sessions() as session:
        company_ids = set(await repository.due_companies(session, now, BATCH))
    for company_id in company_ids:
        try:
            async with database.transaction() as session:
                await _take_due_steps(session, stripe_client, company_id, now)
        except Exception:
            log.exception("dunning_step_failed", company_id=str(company_id))
    return len(company_ids)


async def _take_due_steps(
    session: AsyncSession, stripe_client: stripe_sdk.StripeClient, company_id: UUID, now: datetime
) -> None:
    # The subscription lock first, as every event handler takes it: no deadlock, and a
    # payment arriving meanwhile is either already applied or waits for us.
    subscription = await subscriptions.lock(session, company_id)
    for schedule in await repository.active_for_company(session, company_id):
        step = service.take_due_step(schedule, now)
        if step is None:
            continue
        if step.action == "remind":
            await _remind(session, schedule)
        else:
            await _cancel(session, stripe_client, subscription, schedule, now)


async def _remind(session: AsyncSession, schedule: DunningSchedule) -> None:
    invoice = await invoices.by_stripe_id(session, schedule.stripe_invoice_id)
    hosted_url = invoice.hosted_invoice_url if invoice else None
    await notify(
        session,
        schedule.company_id,
        "payment_reminder",
        "Your payment is still pending",
        "We still could not charge your card. Update your payment method, or your "
        "subscription will be cancelled.",
        {"reminder": schedule.steps_done, "hosted_invoice_url": hosted_url},
    )
    await audit.record(
        session,
        schedule.company_id,
        actor=ACTOR,
        action="dunning_reminder",
        after={"invoice_id": schedule.stripe_invoice_id, "reminder": schedule.steps_done},
    )


async def _cancel(
    session: AsyncSession,
    stripe_client: stripe_sdk.StripeClient,
    subscription: Subscription,
    schedule: DunningSchedule,
    now: datetime,
) -> None:
    stripe_id = subscription.stripe_subscription_id
    still_owed = subscription.status == subscriptions.PAST_DUE
    if not still_owed or stripe_id is None or stripe_id != schedule.stripe_subscription_id:
        service.finish(schedule, "stopped", now)
        return
    answer = await stripe_call(
        "cancel the unpaid subscription",
        stripe_payloads.Subscription,
        stripe_client.v1.subscriptions.cancel_async(
            stripe_id, options={"idempotency_key": f"dunning-cancel-{schedule.id}"}
        ),
    )
    await subscriptions.end_for_nonpayment(session, subscription, answer, actor=ACTOR)
    service.finish(schedule, "cancelled_subscription", now)
    await notify(
        session,
        subscription.company_id,
        "subscription_cancelled",
        "Subscription cancelled for non-payment",
        "We could not collect your payment, so your subscription was cancelled. "
        "Subscribe again at any time to get your plan back.",
        {"invoice_id": schedule.stripe_invoice_id},
    )


def dunning_job(stripe_client: stripe_sdk.StripeClient, every_seconds: float) -> PeriodicJob:
    """The worker's periodic dunning run."""

    async def run(database: Database) -> None:
        await run_dunning(database, stripe_client)

    return PeriodicJob("dunning", every_seconds, run)
