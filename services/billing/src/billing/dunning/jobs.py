"""The dunning job: charges each schedule's due retry, and cancels once the last one failed.

Nothing is taken before Stripe answers: the due work is read in one transaction, Stripe is called
with none open, and its answer is taken in a new transaction that checks the work is still due. A
Stripe failure (down, 5xx) leaves the schedule as it was, so the next run makes the same call with
the same idempotency key: one charge per step at most, and a cancellation only after the last
retry really failed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import stripe as stripe_sdk
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.audit import service as audit
from billing.dunning import repository, service
from billing.dunning.errors import InvoiceNotPayable, RetryDeclined
from billing.dunning.models import DunningSchedule
from billing.dunning.service import Attempt
from billing.invoices import events as invoice_events
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
DECLINED = "The payment was declined."


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
        attempts, cancellations = await _due_work(session, company_id, now)
    for attempt in attempts:
        outcome = await _charge(stripe_client, attempt)
        async with database.transaction() as session:
            await _record_attempt(session, attempt, outcome, now)
    if attempts:
        # The last retry failing makes the cancellation due at once.
        async with database.transaction() as session:
            _, cancellations = await _due_work(session, company_id, now)
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


async def _due_work(
    session: AsyncSession, company_id: UUID, now: datetime
) -> tuple[list[Attempt], list[_Cancellation]]:
    """The charges and cancellations due, left to take once Stripe has answered; a schedule whose
    subscription is no longer unpaid just stops."""
    # The subscription lock first, as every event handler takes it: no deadlock, and a
    # payment arriving meanwhile is either already applied or waits for us.
    subscription = await subscriptions.lock(session, company_id)
    attempts, cancellations = [], []
    for schedule in await repository.active_for_company(session, company_id):
        attempt = service.attempt_due(schedule, now)
        if attempt is None and not service.cancellation_due(schedule, now):
            continue
        stripe_id = subscription.stripe_subscription_id
        if not _still_owed(subscription, schedule) or stripe_id is None:
            service.finish(schedule, "stopped", now)
        elif attempt is not None:
            attempts.append(attempt)
        else:
            cancellations.append(_Cancellation(schedule.id, company_id, stripe_id))
    return attempts, cancellations


def _still_owed(subscription: Subscription, schedule: DunningSchedule) -> bool:
    """Whether the schedule's subscription is still the company's, and still unpaid."""
    stripe_id = subscription.stripe_subscription_id
    return (
        subscription.status == subscriptions.PAST_DUE
        and stripe_id is not None
        and stripe_id == schedule.stripe_subscription_id
    )


async def _charge(
    stripe_client: stripe_sdk.StripeClient, attempt: Attempt
) -> payloads.Invoice | RetryDeclined:
    """Stripe's answer to paying the invoice now: the invoice (paid), or why the charge failed.
    An invoice that is no longer open is answered by the invoice as it is (paid or voided)."""
    request = stripe_client.v1.invoices.pay_async(
        attempt.stripe_invoice_id,
        params={"payment_method": attempt.card} if attempt.card else {},
        options={"idempotency_key": attempt.idempotency_key},
    )
    try:
        return await stripe_call(
            "retry the unpaid invoice", payloads.Invoice, _refusals_apart(request)
        )
    except RetryDeclined as declined:
        return declined
    except InvoiceNotPayable as refused:
        invoice = await stripe_call(
            "read the unpaid invoice",
            payloads.Invoice,
            stripe_client.v1.invoices.retrieve_async(attempt.stripe_invoice_id),
        )
        # Still open: the refusal counts as a failed attempt, or the step would loop forever.
        return RetryDeclined(refused.reason) if invoice.status == "open" else invoice


async def _refusals_apart(request: Awaitable[Any]) -> Any:
    # A decline and a refusal are answers, not failures: stripe_call would make them a 502.
    try:
        return await request
    except stripe_sdk.CardError as error:
        raise RetryDeclined(error.user_message or DECLINED) from None
    except stripe_sdk.InvalidRequestError as error:
        raise InvoiceNotPayable(error.user_message or DECLINED) from None


async def _record_attempt(
    session: AsyncSession,
    attempt: Attempt,
    outcome: payloads.Invoice | RetryDeclined,
    now: datetime,
) -> None:
    """Take Stripe's answer, unless another run took this attempt already."""
    subscription = await subscriptions.lock(session, attempt.company_id)
    schedule = await repository.get(session, attempt.schedule_id)
    if schedule is None or service.attempt_due(schedule, now) != attempt:
        log.info("dunning_retry_overtaken", schedule_id=str(attempt.schedule_id))
        return
    declined = outcome.reason if isinstance(outcome, RetryDeclined) else None
    service.record_attempt(schedule, attempt, now, declined)
    await audit.record(
        session,
        schedule.company_id,
        actor=ACTOR,
        action="dunning_retry",
        after={
            "invoice_id": schedule.stripe_invoice_id,
            "attempt": schedule.attempts,
            "card": attempt.card,
            "declined": declined,
        },
    )
    if isinstance(outcome, RetryDeclined):
        if service.next_retry_at(schedule) is not None:
            await _tell_declined(session, schedule, attempt, outcome.reason)
    elif outcome.status == "paid":
        await invoice_events.settle_paid(session, subscription, outcome, now, actor=ACTOR)
        if schedule.status == repository.ACTIVE:
            service.finish(schedule, "recovered", now)
    else:
        service.finish(schedule, "stopped", now)


async def _tell_declined(
    session: AsyncSession, schedule: DunningSchedule, attempt: Attempt, reason: str
) -> None:
    """A failed retry tells the day of the next one: the company has until then to update its
    card, which is charged at once (a reminder the day before would only repeat this)."""
    retry_at = service.next_retry_at(schedule)
    assert retry_at is not None
    invoice = await invoices.by_stripe_id(session, schedule.stripe_invoice_id)
    card = "your new card" if attempt.card else "your card"
    await notify(
        session,
        schedule.company_id,
        "payment_retry_failed",
        "Payment retry failed",
        f"We tried to charge {card} again. {reason} We will try again on {retry_at:%Y-%m-%d}; "
        "update your payment method before then to keep your plan.",
        {
            "invoice_id": schedule.stripe_invoice_id,
            "hosted_invoice_url": invoice.hosted_invoice_url if invoice else None,
            "attempt": schedule.attempts,
            "next_retry_at": retry_at.isoformat(),
        },
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
    if (
        schedule is None
        or not service.cancellation_due(schedule, now)
        or not _still_owed(subscription, schedule)
    ):
        log.info("dunning_cancellation_overtaken", schedule_id=str(cancellation.schedule_id))
        return
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
