"""The dunning scheduler: takes each schedule's due step (a reminder, or the cancellation).

A reminder is taken in one transaction. A cancellation is asked of Stripe with no transaction
open, and only then taken, in a transaction that checks it is still due: a Stripe failure leaves
the schedule as it was for the next run, and the idempotency key makes that run's call (or a
concurrent worker's) return the same cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.dunning import repository, service
from billing.dunning.models import DunningSchedule
from billing.invoices import repository as invoices
from billing.notifications.service import notify
from billing.runtime import Runtime
from billing.stripe import payloads
from billing.stripe.client import stripe_call
from billing.subscriptions import service as subscriptions
from billing.subscriptions.models import Subscription
from finhub_shared.db import Database
from finhub_shared.events import utcnow
from finhub_shared.worker import PeriodicJob

log = structlog.get_logger(__name__)

BATCH = 200
ACTOR = audit.job_actor("dunning")


@dataclass(frozen=True)
class _Cancellation:
    """A schedule whose last step, cancelling the unpaid subscription, waits for Stripe."""

    schedule_id: UUID
    company_id: UUID
    stripe_subscription_id: str


async def run_dunning(
    database: Database, stripe_client: stripe_sdk.StripeClient, now: datetime | None = None
) -> int:
    """Take every due step; one company failing (Stripe down) does not hold up the others."""
    now = now or utcnow()
    async with database.transaction() as session:
        company_ids = set(await repository.due_companies(session, now, BATCH))
    for company_id in company_ids:
        try:
            await _dun(database, stripe_client, company_id, now)
        except Exception:
            log.exception("dunning_step_failed", company_id=str(company_id))
    return len(company_ids)


async def _dun(
    database: Database, stripe_client: stripe_sdk.StripeClient, company_id: UUID, now: datetime
) -> None:
    async with database.transaction() as session:
        cancellations = await _take_due_steps(session, company_id, now)
    for cancellation in cancellations:
        answer = await stripe_call(
            "cancel the unpaid subscription",
            payloads.Subscription,
            stripe_client.v1.subscriptions.cancel_async(
                cancellation.stripe_subscription_id,
                options={"idempotency_key": f"dunning-cancel-{cancellation.schedule_id}"},
            ),
        )
        async with database.transaction() as session:
            await _record_cancellation(session, cancellation, answer, now)


async def _take_due_steps(
    session: AsyncSession, company_id: UUID, now: datetime
) -> list[_Cancellation]:
    """Take the due reminders; the due cancellations, left to take once Stripe has made them."""
    # The subscription lock first, as every event handler takes it: no deadlock, and a
    # payment arriving meanwhile is either already applied or waits for us.
    subscription = await subscriptions.lock(session, company_id)
    cancellations = []
    for schedule in await repository.active_for_company(session, company_id):
        step = service.due_step(schedule, now)
        if step is None:
            continue
        if step.action == "remind":
            service.take_due_step(schedule, now)
            await _remind(session, schedule)
        elif _still_owed(subscription, schedule):
            stripe_id = subscription.stripe_subscription_id
            assert stripe_id is not None
            cancellations.append(_Cancellation(schedule.id, company_id, stripe_id))
        else:
            service.take_due_step(schedule, now)
            service.finish(schedule, "stopped", now)
    return cancellations


def _still_owed(subscription: Subscription, schedule: DunningSchedule) -> bool:
    """Whether the schedule's subscription is still the company's, and still unpaid."""
    stripe_id = subscription.stripe_subscription_id
    return (
        subscription.status == subscriptions.PAST_DUE
        and stripe_id is not None
        and stripe_id == schedule.stripe_subscription_id
    )


def _cancellation_due(subscription: Subscription, schedule: DunningSchedule, now: datetime) -> bool:
    step = service.due_step(schedule, now)
    return step is not None and step.action == "cancel" and _still_owed(subscription, schedule)


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


async def _record_cancellation(
    session: AsyncSession,
    cancellation: _Cancellation,
    answer: payloads.Subscription,
    now: datetime,
) -> None:
    """Take the cancellation Stripe made, unless another run took it or the company paid
    meanwhile (then Stripe's own subscription events bring the state)."""
    subscription = await subscriptions.lock(session, cancellation.company_id)
    schedule = await repository.get(session, cancellation.schedule_id)
    if schedule is None or not _cancellation_due(subscription, schedule, now):
        log.info("dunning_cancellation_overtaken", schedule_id=str(cancellation.schedule_id))
        return
    service.take_due_step(schedule, now)
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


async def run_dunning_now(runtime: Runtime) -> None:
    """One run of the worker's dunning job."""
    await run_dunning(runtime.database, runtime.stripe)


def dunning_job(every_seconds: float) -> PeriodicJob[Runtime]:
    """The worker's periodic dunning run."""
    return PeriodicJob("dunning", every_seconds, run_dunning_now)
