"""What the live stream is told of PIX payments: every status change of an immediate, scheduled
or automatic one (docs/DESIGN.md, "What the live stream shows"), queued with the change."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.pix.models import PixMandatePayment, PixPayment
from banking.pix.status import status_message


async def payment_status_changed(
    session: AsyncSession, payment: PixPayment, previous: str | None
) -> None:
    """An immediate or scheduled payment's status changed (`previous` None: just created)."""
    if payment.status == previous:
        return
    data = publishing.pix_payment_status_data(
        payment.id,
        "scheduled" if payment.schedule is not None else "immediate",
        payment.status,
        previous,
        payment.amount_cents,
        payment.description,
        _next_date(payment),
        status_message(payment.status),
    )
    await publishing.publish(
        session, publishing.PIX_PAYMENT_STATUS_CHANGED, data, payment.company_id
    )


async def cycle_status_changed(
    session: AsyncSession, cycle: PixMandatePayment, previous: str | None
) -> None:
    """An automatic PIX payment's status changed (`previous` None: just scheduled)."""
    if cycle.status == previous:
        return
    data = publishing.pix_payment_status_data(
        cycle.id,
        "automatic",
        cycle.status,
        previous,
        cycle.amount_cents,
        cycle.description,
        cycle.date,
        status_message(cycle.status),
    )
    await publishing.publish(session, publishing.PIX_PAYMENT_STATUS_CHANGED, data, cycle.company_id)


def _next_date(payment: PixPayment) -> date | None:
    """A scheduled payment's next date still to pay (its first, before Pluggy lists them)."""
    if payment.schedule is None:
        return None
    waiting = [row.scheduled_date for row in payment.schedules if row.status == "SCHEDULED"]
    # A single date's schedule names it `date`, a recurring one `start_date`.
    start = payment.schedule.get("date") or payment.schedule.get("start_date")
    first = date.fromisoformat(start) if isinstance(start, str) else None
    return min(waiting, default=None) if payment.schedules else first
