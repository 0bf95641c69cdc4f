"""Time travel for the Stripe half: renewals and their notices, trial ends, retries, cancels.

Moving the clock replays, in time order, everything Stripe would have done in between; those
changes are automatic, so their events carry no request id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

from provider_sandbox.stripe.checkout import expire_session
from provider_sandbox.stripe.events import emit
from provider_sandbox.stripe.invoices import DAY_SECONDS, preview_invoice
from provider_sandbox.stripe.payments import PaymentOutcome
from provider_sandbox.stripe.state import AUTOMATIC, StripeObject, StripeState, snapshot
from provider_sandbox.stripe.subscriptions import (
    ENDED_STATUSES,
    TRIAL_WARNING_SECONDS,
    cancel_now,
    change,
    charge_invoice,
    default_outcome,
    next_period_lines,
    period_end,
    renew,
)

# A guard against a bug looping forever; a year of daily happenings is far below it.
MAX_STEPS = 100_000
# `invoice.upcoming` goes out this long before a renewal: Stripe's default for "Upcoming renewal
# events" (Billing settings). Trials are announced by `customer.subscription.trial_will_end`.
UPCOMING_RENEWAL_NOTICE_SECONDS = 3 * DAY_SECONDS

Step = tuple[int, Callable[[], None]]


async def advance_clock(
    state: StripeState, outcome: PaymentOutcome | None, delta: timedelta
) -> dict[str, Any]:
    """Move the clock forward by `delta`; `outcome` overrides how every payment attempt ends."""
    until = state.now() + int(delta.total_seconds())
    first_event = len(state.of_type("event"))
    for _ in range(MAX_STEPS):
        steps = list(_due_steps(state, until, outcome))
        if not steps:
            break
        at, action = min(steps, key=lambda step: step[0])
        state.move_clock_to(at)
        action()
    state.move_clock_to(until)
    new_events = state.of_type("event")[: len(state.of_type("event")) - first_event]
    return {"now": state.now(), "events": [event["type"] for event in reversed(new_events)]}


def _due_steps(state: StripeState, until: int, outcome: PaymentOutcome | None) -> Iterator[Step]:
    for subscription in state.of_type("subscription"):
        if subscription["status"] in ENDED_STATUSES or subscription["status"] == "paused":
            continue
        if subscription["status"] == "trialing":
            yield from _trial_steps(state, subscription, until, outcome)
        else:
            yield from _billing_steps(state, subscription, until, outcome)
    for session in state.of_type("checkout.session"):
        if session["status"] == "open" and session["expires_at"] <= until:
            yield session["expires_at"], partial(expire_session, state, session, AUTOMATIC)


def _trial_steps(
    state: StripeState, subscription: StripeObject, until: int, outcome: PaymentOutcome | None
) -> Iterator[Step]:
    trial_end: int = subscription["trial_end"]
    warn_at = trial_end - TRIAL_WARNING_SECONDS
    if subscription["id"] not in state.trial_warnings_sent and warn_at <= until:
        yield max(warn_at, state.now()), lambda: _warn_trial_end(state, subscription)
    elif trial_end <= until:
        yield trial_end, lambda: _end_period(state, subscription, outcome)


def _billing_steps(
    state: StripeState, subscription: StripeObject, until: int, outcome: PaymentOutcome | None
) -> Iterator[Step]:
    end = period_end(subscription)
    cancel_at = subscription["cancel_at"]
    if cancel_at is not None and cancel_at <= min(end, until):
        yield (
            cancel_at,
            lambda: cancel_now(state, subscription, AUTOMATIC, reason="cancellation_requested"),
        )
        return
    if cancel_at is None:
        yield from _renewal_notice_step(state, subscription, end, until)
    if end <= until:
        yield end, lambda: _end_period(state, subscription, outcome)
    retry = _due_retry(state, subscription, until)
    if retry is not None:
        yield retry["next_payment_attempt"], lambda: _retry(state, subscription, retry, outcome)
    pause = subscription["pause_collection"]
    if pause is not None and pause["resumes_at"] is not None and pause["resumes_at"] <= until:
        yield (
            pause["resumes_at"],
            lambda: change(state, subscription, AUTOMATIC, pause_collection=None),
        )


def _renewal_notice_step(
    state: StripeState, subscription: StripeObject, end: int, until: int
) -> Iterator[Step]:
    notice_at = end - UPCOMING_RENEWAL_NOTICE_SECONDS
    if (subscription["id"], end) not in state.renewals_announced and notice_at <= until:
        yield max(notice_at, state.now()), lambda: _announce_renewal(state, subscription, end)


def _due_retry(state: StripeState, subscription: StripeObject, until: int) -> StripeObject | None:
    invoice_id = subscription["latest_invoice"]
    if invoice_id is None:
        return None
    invoice = state.objects[invoice_id]
    next_attempt = invoice["next_payment_attempt"]
    if invoice["status"] != "open" or next_attempt is None or next_attempt > until:
        return None
    return invoice


def _warn_trial_end(state: StripeState, subscription: StripeObject) -> None:
    state.trial_warnings_sent.add(subscription["id"])
    emit(state, "customer.subscription.trial_will_end", subscription, AUTOMATIC)


def _announce_renewal(state: StripeState, subscription: StripeObject, end: int) -> None:
    state.renewals_announced.add((subscription["id"], end))
    pending = state.pending_invoice_lines.get(subscription["id"], [])
    lines = [snapshot(line) for line in pending] + next_period_lines(subscription)
    upcoming = preview_invoice(state, subscription, lines, renews_at=end)
    emit(state, "invoice.upcoming", upcoming, AUTOMATIC)


def _end_period(
    state: StripeState, subscription: StripeObject, outcome: PaymentOutcome | None
) -> None:
    renew(state, subscription, outcome)


def _retry(
    state: StripeState,
    subscription: StripeObject,
    invoice: StripeObject,
    outcome: PaymentOutcome | None,
) -> None:
    attempt = outcome or default_outcome(state, subscription)
    charge_invoice(state, subscription, invoice, attempt, AUTOMATIC)
