"""Recording the outcomes consumers report, and reading an event's fate on every queue that
should receive it (those that never answered are pending)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.bus.outcomes import Outcome
from finhub_shared.events import routing_key, utcnow
from webhook_gateway.fates import repository
from webhook_gateway.fates.models import FateStep
from webhook_gateway.fates.schemas import FateStepView, QueueFate
from webhook_gateway.webhooks.models import WebhookEvent

# Steps shown with an event, over all its queues (a replay loop could make many).
HISTORY_LIMIT = 100
OPERATOR_REPLAY = "replayed by an operator"


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Add each outcome to its event's history, make it the queue's state if newest, and learn
    the queues' bindings. An erased event's outcomes keep no error or reason."""
    erased = await repository.erased_among(
        session, {(outcome.event_source, outcome.event_id) for outcome in outcomes}
    )
    for outcome in outcomes:
        of_erased = (outcome.event_source, outcome.event_id) in erased
        await repository.add_step(session, outcome, erased=of_erased)
        await repository.advance(session, outcome, erased=of_erased)
        if outcome.binding_keys is not None:
            await repository.describe_queue(
                session, outcome.queue, outcome.service, outcome.binding_keys, outcome.at
            )


async def fates(session: AsyncSession, event: WebhookEvent) -> list[QueueFate]:
    """The event's state on each queue that reported it or should receive it, by queue."""
    known = await repository.fates_of(session, event.source, event.event_id)
    steps = await repository.steps_of(session, event.source, event.event_id, limit=HISTORY_LIMIT)
    found = [
        QueueFate(
            queue=fate.queue,
            service=fate.service,
            state=fate.state,
            at=fate.at,
            attempts=fate.attempts,
            last_error=fate.last_error,
            reason=fate.reason,
            history=_history(steps, fate.queue),
        )
        for fate in known
    ]
    if event.status == "routed":
        answered = {fate.queue for fate in known}
        key = routing_key(event.source, event.event_type)
        for queue in await repository.queues_expecting(session, key, event.received_at):
            if queue.name not in answered:
                found.append(_pending(queue.name, queue.service))
    return sorted(found, key=lambda fate: fate.queue)


async def replayed_by_operator(session: AsyncSession, events: Sequence[WebhookEvent]) -> None:
    """Events queued again by an operator: each queue that had given up on one is replaying it."""
    keys = [(event.source, event.event_id) for event in events]
    now = utcnow()
    for fate in await repository.given_up(session, keys):
        fate.state, fate.at, fate.reason = "replayed", now, OPERATOR_REPLAY
        session.add(
            FateStep(
                id=uuid.uuid4(),
                event_source=fate.event_source,
                event_id=fate.event_id,
                queue=fate.queue,
                service=fate.service,
                state="replayed",
                at=now,
                attempts=fate.attempts,
                error=None,
                reason=OPERATOR_REPLAY,
            )
        )
    await session.flush()


def _history(steps: Sequence[FateStep], queue: str) -> list[FateStepView]:
    return [
        FateStepView(
            state=step.state,
            at=step.at,
            attempts=step.attempts,
            error=step.error,
            reason=step.reason,
        )
        for step in steps
        if step.queue == queue
    ]


def _pending(queue: str, service: str) -> QueueFate:
    return QueueFate(
        queue=queue,
        service=service,
        state="pending",
        at=None,
        attempts=0,
        last_error=None,
        reason=None,
        history=[],
    )
