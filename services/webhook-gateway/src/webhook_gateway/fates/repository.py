"""Every query on event fates: recording outcomes, reading an event's, filtering, erasing their
texts and pruning."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared import queries
from finhub_shared.bus.outcomes import Outcome
from webhook_gateway.database import InboxEvent
from webhook_gateway.erasure.repository import ERASED
from webhook_gateway.fates.bindings import binding_pattern
from webhook_gateway.fates.models import EventFate, FateQueue, FateStep
from webhook_gateway.webhooks.models import WebhookEvent

# States a later duplicate delivery (the inbox already held the event) confirms, not replaces.
SETTLED = ("handled", "ignored")
DUPLICATE = "duplicate"
# States in which a queue no longer tries: an operator's replay sends the event there again.
GIVEN_UP = ("dead_lettered", "dropped")
# A queue's bindings are written again when they change, else at most this often.
QUEUE_REFRESH = timedelta(hours=1)


async def erased_among(
    session: AsyncSession, keys: Collection[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of these (source, event id) are erased. All are locked (shared, in one order), so
    an erasure running meanwhile is either seen here or waits, then erases what is recorded."""
    if not keys:
        return set()
    statement = (
        select(WebhookEvent.source, WebhookEvent.event_id, WebhookEvent.status)
        .where(tuple_(WebhookEvent.source, WebhookEvent.event_id).in_(keys))
        .order_by(WebhookEvent.source, WebhookEvent.event_id)
        # Should an erasure's update (in its own order) deadlock with it, PostgreSQL ends one of
        # the two and that message is retried.
        .with_for_update(read=True)
    )
    rows = (await session.execute(statement)).all()
    return {(source, event_id) for source, event_id, status in rows if status == ERASED}


async def add_step(session: AsyncSession, outcome: Outcome, *, erased: bool) -> None:
    """Keep the outcome in the event's history (once, however often it was sent); an erased
    event's without its error and reason."""
    await session.execute(
        insert(FateStep)
        .values(
            id=outcome.id,
            event_source=outcome.event_source,
            event_id=outcome.event_id,
            queue=outcome.queue,
            service=outcome.service,
            state=outcome.state,
            at=outcome.at,
            attempts=outcome.attempts,
            error=None if erased else outcome.error,
            reason=None if erased else outcome.reason,
        )
        .on_conflict_do_nothing()
    )


async def advance(session: AsyncSession, outcome: Outcome, *, erased: bool) -> None:
    """Make the outcome the event's state on its queue (an erased event's without its error and
    reason), unless a newer one is there already or it is a duplicate delivery of an event the
    queue had settled."""
    statement = insert(EventFate).values(
        event_source=outcome.event_source,
        event_id=outcome.event_id,
        queue=outcome.queue,
        service=outcome.service,
        state=outcome.state,
        at=outcome.at,
        attempts=outcome.attempts,
        last_error=None if erased else outcome.error,
        reason=None if erased else outcome.reason,
    )
    new = statement.excluded
    # Told from the outcome, not the row: an erased event's row has no reason.
    replaces = EventFate.at <= new.at
    if outcome.state == "ignored" and outcome.reason == DUPLICATE:
        replaces = and_(replaces, EventFate.state.not_in(SETTLED))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[EventFate.event_source, EventFate.event_id, EventFate.queue],
            set_={
                "service": new.service,
                "state": new.state,
                "at": new.at,
                "attempts": new.attempts,
                "last_error": new.last_error,
                "reason": new.reason,
            },
            where=replaces,
        )
    )


async def describe_queue(
    session: AsyncSession, name: str, service: str, binding_keys: Sequence[str], at: datetime
) -> None:
    """Remember what a queue binds (known from `at` if new); rewritten only when it changed
    or after QUEUE_REFRESH, so most outcomes write nothing here."""
    statement = insert(FateQueue).values(
        name=name,
        service=service,
        binding_keys=list(binding_keys),
        pattern=binding_pattern(binding_keys),
        known_since=at,
        reported_at=at,
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[FateQueue.name],
            set_={
                "service": new.service,
                "binding_keys": new.binding_keys,
                "pattern": new.pattern,
                "reported_at": new.reported_at,
            },
            where=or_(
                FateQueue.pattern != new.pattern,
                FateQueue.reported_at < new.reported_at - QUEUE_REFRESH,
            ),
        )
    )


async def fates_of(session: AsyncSession, source: str, event_id: str) -> Sequence[EventFate]:
    """The event's state on each queue that reported it, by queue."""
    statement = (
        select(EventFate)
        .where(EventFate.event_source == source, EventFate.event_id == event_id)
        .order_by(EventFate.queue)
    )
    return (await session.scalars(statement)).all()


async def steps_of(
    session: AsyncSession, source: str, event_id: str, *, limit: int
) -> Sequence[FateStep]:
    """The event's newest `limit` steps on every queue, oldest first."""
    newest = (
        select(FateStep)
        .where(FateStep.event_source == source, FateStep.event_id == event_id)
        .order_by(FateStep.at.desc(), FateStep.id)
        .limit(limit)
    )
    return sorted((await session.scalars(newest)).all(), key=lambda step: step.at)


async def queues_expecting(
    session: AsyncSession, routing_key: str, received_at: datetime
) -> Sequence[FateQueue]:
    """The known queues that bind `routing_key` and were known when the event arrived."""
    statement = (
        select(FateQueue)
        .where(literal(routing_key).regexp_match(FateQueue.pattern))
        .where(FateQueue.known_since <= received_at)
        .order_by(FateQueue.name)
    )
    return (await session.scalars(statement)).all()


async def given_up(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> Sequence[EventFate]:
    """The fates, locked, of these (source, event id) on queues that gave up on them (parked or
    dropped): where a replay changes what happens."""
    if not keys:
        return []
    statement = (
        select(EventFate)
        .where(tuple_(EventFate.event_source, EventFate.event_id).in_(keys))
        .where(EventFate.state.in_(GIVEN_UP))
        .with_for_update()
    )
    return (await session.scalars(statement)).all()


def _routing_key() -> ColumnElement[str]:
    """A stored event's routing key (`<source>.<type>`, Pluggy's `/` turned into dots)."""
    return WebhookEvent.source + "." + func.replace(WebhookEvent.event_type, "/", ".")


def in_state(state: str) -> ColumnElement[bool]:
    """Stored events some queue reports in `state`; `pending`: events a queue that binds them
    (known when they arrived) never answered for."""
    if state != "pending":
        return exists().where(
            EventFate.event_source == WebhookEvent.source,
            EventFate.event_id == WebhookEvent.event_id,
            EventFate.state == state,
        )
    answered = exists().where(
        EventFate.event_source == WebhookEvent.source,
        EventFate.event_id == WebhookEvent.event_id,
        EventFate.queue == FateQueue.name,
    )
    return and_(
        WebhookEvent.status == "routed",
        exists().where(
            FateQueue.known_since <= WebhookEvent.received_at,
            _routing_key().regexp_match(FateQueue.pattern),
            not_(answered),
        ),
    )


async def erase_texts(session: AsyncSession, source: str, event_ids: Sequence[str]) -> None:
    """Blank the errors and reasons of these events' fates and steps (they may name whom an
    event was about); their queues, states, attempts and times stay."""
    if not event_ids:
        return
    # One array parameter, however many events a company had.
    ids = any_(bindparam("erased_ids", list(event_ids), type_=ARRAY(String)))
    await session.execute(
        update(EventFate)
        .where(EventFate.event_source == source, EventFate.event_id == ids)
        .where(or_(EventFate.last_error.is_not(None), EventFate.reason.is_not(None)))
        .values(last_error=None, reason=None)
    )
    await session.execute(
        update(FateStep)
        .where(FateStep.event_source == source, FateStep.event_id == ids)
        .where(or_(FateStep.error.is_not(None), FateStep.reason.is_not(None)))
        .values(error=None, reason=None)
    )


async def delete_before(session: AsyncSession, cutoff: datetime, *, inbox_consumer: str) -> int:
    """Forget fates, steps, queues and `inbox_consumer`'s inbox rows (the outcomes' ids) not
    heard of since `cutoff`; how many fates went."""
    fates = await session.execute(delete(EventFate).where(EventFate.at < cutoff))
    await session.execute(delete(FateStep).where(FateStep.at < cutoff))
    await session.execute(delete(FateQueue).where(FateQueue.reported_at < cutoff))
    await session.execute(
        delete(InboxEvent).where(
            InboxEvent.consumer == inbox_consumer, InboxEvent.handled_at < cutoff
        )
    )
    return queries.rows_affected(fates)
