"""The dunning schedule of a failed renewal: billing charges the open invoice again on days 3, 7
and 14 after the first failure, and the day-14 retry failing cancels the subscription.

A card update retries at once; a success at any attempt (ours, the customer's on the invoice
page, or Stripe's own) ends the schedule. Stripe's automatic retries are off (services/billing
README), so this schedule is the only one. Each step's time is kept in the database, so a restart
loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.dunning import repository
from billing.dunning.models import DunningSchedule

Outcome = Literal["recovered", "cancelled_subscription", "stopped"]


@dataclass(frozen=True)
class Step:
    after: timedelta
    action: Literal["retry", "cancel"]


# Retries on days 3, 7 and 14 after the first failure; the cancellation has no day of its own:
# it is due once the last retry has failed.
STEPS = (
    Step(timedelta(days=3), "retry"),
    Step(timedelta(days=7), "retry"),
    Step(timedelta(days=14), "retry"),
    Step(timedelta(days=14), "cancel"),
)
CANCEL = len(STEPS) - 1


@dataclass(frozen=True)
class Attempt:
    """A charge of the schedule's invoice to make now: its due retry (`step`, an index of STEPS),
    a card update's retry with that `card`, or both at once (one charge, with the new card);
    `charges_made` is how many charges of the invoice came before it."""

    schedule_id: UUID
    company_id: UUID
    stripe_invoice_id: str
    step: int | None
    card: str | None
    charges_made: int

    @property
    def idempotency_key(self) -> str:
        """One key per step, and per card a card update brought (and per charge before it, as
        the card updater renews a card under the same id): a rerun after a crash, or a second
        worker, gets Stripe's answer to the first call instead of a second charge."""
        if self.card is not None:
            return f"dunning-{self.stripe_invoice_id}-card-{self.card}-{self.charges_made}"
        assert self.step is not None
        return f"dunning-{self.stripe_invoice_id}-{self.step + 1}"


async def start(
    session: AsyncSession,
    company_id: UUID,
    stripe_invoice_id: str,
    stripe_subscription_id: str | None,
    failed_at: datetime,
) -> bool:
    """Start the schedule of this failed invoice at its first failure; False if it already was."""
    if await repository.for_invoice(session, stripe_invoice_id) is not None:
        return False
    schedule = DunningSchedule(
        company_id=company_id,
        stripe_invoice_id=stripe_invoice_id,
        stripe_subscription_id=stripe_subscription_id,
        started_at=failed_at,
        steps_done=0,
        next_run_at=first_retry_at(failed_at),
        status=repository.ACTIVE,
        attempts=0,
        card_retry_due=False,
    )
    session.add(schedule)
    await session.flush()
    return True


def first_retry_at(failed_at: datetime) -> datetime:
    """When billing first charges again an invoice that failed at `failed_at`."""
    return failed_at + STEPS[0].after


async def stop(
    session: AsyncSession,
    company_id: UUID,
    outcome: Outcome,
    at: datetime,
    *,
    only_invoice: str | None = None,
) -> int:
    """End the company's running schedules (or only this invoice's); how many were ended."""
    schedules = [
        schedule
        for schedule in await repository.active_for_company(session, company_id)
        if only_invoice is None or schedule.stripe_invoice_id == only_invoice
    ]
    for schedule in schedules:
        finish(schedule, outcome, at)
    await session.flush()
    return len(schedules)


def finish(schedule: DunningSchedule, outcome: Outcome, at: datetime) -> None:
    """Mark the schedule as ended with `outcome`."""
    schedule.status = outcome
    schedule.next_run_at = None
    schedule.card_retry_due = False
    schedule.finished_at = at


async def retry_with_card(
    session: AsyncSession,
    company_id: UUID,
    payment_method_id: str,
    at: datetime,
    *,
    renewed: bool = False,
) -> int:
    """A card update: the company's running schedules charge their invoice with this card on the
    job's next run; a card already tried is not charged again unless `renewed` (Stripe's card
    updater gave it new details). How many will."""
    waiting = 0
    for schedule in await repository.active_for_company(session, company_id):
        if schedule.card_payment_method_id == payment_method_id and not renewed:
            continue
        schedule.card_payment_method_id = payment_method_id
        schedule.card_retry_due = True
        schedule.next_run_at = min(schedule.next_run_at or at, at)
        waiting += 1
    await session.flush()
    return waiting


def attempt_due(schedule: DunningSchedule, now: datetime) -> Attempt | None:
    """The charge due now, if any; after downtime only the latest missed retry is taken, so
    nobody is charged three times at once."""
    if schedule.status != repository.ACTIVE:
        return None
    index = _due_index(schedule, now)
    step = index if index is not None and STEPS[index].action == "retry" else None
    card = schedule.card_payment_method_id if schedule.card_retry_due else None
    if step is None and card is None:
        return None
    return Attempt(
        schedule.id, schedule.company_id, schedule.stripe_invoice_id, step, card, schedule.attempts
    )


def cancellation_due(schedule: DunningSchedule, now: datetime) -> bool:
    """Whether the last retry failed and no charge is left to try."""
    return attempt_due(schedule, now) is None and _due_index(schedule, now) == CANCEL


def record_attempt(
    schedule: DunningSchedule, attempt: Attempt, now: datetime, error: str | None
) -> None:
    """Move the schedule past the attempt Stripe answered (`error` says why it failed)."""
    if attempt.step is not None:
        schedule.steps_done = attempt.step + 1
    if attempt.card is not None:
        schedule.card_retry_due = False
    schedule.next_run_at = schedule.started_at + STEPS[schedule.steps_done].after
    schedule.attempts += 1
    schedule.last_attempt_at = now
    schedule.last_error = error


def next_retry_at(schedule: DunningSchedule) -> datetime | None:
    """When the next retry is, or None when the one just made was the last."""
    if schedule.steps_done >= CANCEL:
        return None
    return schedule.started_at + STEPS[schedule.steps_done].after


def _due_index(schedule: DunningSchedule, now: datetime) -> int | None:
    if schedule.status != repository.ACTIVE:
        return None
    due = [
        index
        for index, step in enumerate(STEPS)
        if index >= schedule.steps_done
        and schedule.started_at + step.after <= now
        and (step.action == "retry" or index == schedule.steps_done)
    ]
    return due[-1] if due else None
