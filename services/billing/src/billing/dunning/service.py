"""The dunning schedule: after a renewal fails, reminders on days 3, 7 and 14, then cancellation.

Stripe retries the card by itself meanwhile; a later success at any step ends the schedule.
Each step's time is kept in the database, so a restart loses nothing.
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
    action: Literal["remind", "cancel"]


# Reminders on days 3, 7 and 14 after the first failure; the day after the last one, cancellation.
STEPS = (
    Step(timedelta(days=3), "remind"),
    Step(timedelta(days=7), "remind"),
    Step(timedelta(days=14), "remind"),
    Step(timedelta(days=15), "cancel"),
)


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
        next_run_at=failed_at + STEPS[0].after,
        status=repository.ACTIVE,
    )
    session.add(schedule)
    await session.flush()
    return True


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
    schedule.finished_at = at


def due_step(schedule: DunningSchedule, now: datetime) -> Step | None:
    """The step due now, if any, leaving the schedule as it is."""
    index = _due_index(schedule, now)
    return STEPS[index] if index is not None else None


def take_due_step(schedule: DunningSchedule, now: datetime) -> Step | None:
    """Move the schedule past the step due now and return it; after downtime only the latest
    missed step is taken, so nobody gets three reminders at once."""
    index = _due_index(schedule, now)
    if index is None:
        return None
    schedule.steps_done = index + 1
    following = STEPS[schedule.steps_done] if schedule.steps_done < len(STEPS) else None
    schedule.next_run_at = schedule.started_at + following.after if following else None
    return STEPS[index]


def _due_index(schedule: DunningSchedule, now: datetime) -> int | None:
    if schedule.status != repository.ACTIVE:
        return None
    due = [
        index
        for index, step in enumerate(STEPS)
        if index >= schedule.steps_done and schedule.started_at + step.after <= now
    ]
    return due[-1] if due else None
