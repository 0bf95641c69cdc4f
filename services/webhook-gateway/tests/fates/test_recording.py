"""The gateway keeps, per event and consuming queue, the newest outcome reported and the steps
that led there, learns from the reports which queues bind which keys, and forgets with the
events' retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from finhub_shared.db import Database
from finhub_shared.events import new_event, utcnow
from webhook_gateway.config import get_settings
from webhook_gateway.database import InboxEvent
from webhook_gateway.fates import repository
from webhook_gateway.fates.bindings import binding_pattern
from webhook_gateway.fates.models import EventFate, FateQueue, FateStep
from webhook_gateway.runtime import Runtime
from webhook_gateway.webhooks.jobs import prune_old_events

from ..reported import outcome, record

pytestmark = pytest.mark.asyncio

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
QUEUE = "billing.stripe"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def fates(database: Database, event_id: str) -> list[tuple[str, str, int, str | None]]:
    async with database.sessions() as session:
        found = await repository.fates_of(session, "stripe", event_id)
    return [(fate.queue, fate.state, fate.attempts, fate.last_error) for fate in found]


async def steps(database: Database, event_id: str) -> list[str]:
    async with database.sessions() as session:
        found = await repository.steps_of(session, "stripe", event_id, limit=50)
    return [step.state for step in found]


async def test_the_newest_outcome_is_the_state_and_every_step_is_kept(database: Database) -> None:
    event = f"evt_{uuid.uuid4().hex}"
    error = "LookupError: company has no subscription row"

    await record(
        database,
        outcome(event, QUEUE, "retrying", at(0), attempts=1, error=error),
        outcome(event, QUEUE, "retrying", at(1), attempts=2, error=error),
        outcome(event, QUEUE, "dead_lettered", at(11), attempts=3, error=error, reason="x"),
        outcome(event, "banking.audit", "ignored", at(2), reason="no_handler"),
    )

    assert await fates(database, event) == [
        ("banking.audit", "ignored", 0, None),
        (QUEUE, "dead_lettered", 3, error),
    ]
    assert await steps(database, event) == ["retrying", "retrying", "ignored", "dead_lettered"]


async def test_an_outcome_arriving_late_does_not_replace_a_newer_one(database: Database) -> None:
    event = f"evt_{uuid.uuid4().hex}"

    # Reported unconfirmed, from two processes: the replay tool's report can come second.
    await record(
        database,
        outcome(event, QUEUE, "handled", at(5)),
        outcome(event, QUEUE, "replayed", at(4), binding_keys=None),
    )

    assert await fates(database, event) == [(QUEUE, "handled", 0, None)]
    assert await steps(database, event) == ["replayed", "handled"]


async def test_a_duplicate_delivery_confirms_a_handled_event_and_settles_a_replayed_one(
    database: Database,
) -> None:
    handled, replayed = f"evt_{uuid.uuid4().hex}", f"evt_{uuid.uuid4().hex}"

    await record(
        database,
        outcome(handled, QUEUE, "handled", at(0)),
        outcome(handled, QUEUE, "ignored", at(9), reason="duplicate"),
        outcome(replayed, QUEUE, "replayed", at(0)),
        outcome(replayed, QUEUE, "ignored", at(9), reason="duplicate"),
    )

    assert await fates(database, handled) == [(QUEUE, "handled", 0, None)]
    assert await fates(database, replayed) == [(QUEUE, "ignored", 0, None)]


async def test_a_redelivered_outcome_is_recorded_once(database: Database) -> None:
    event = f"evt_{uuid.uuid4().hex}"
    retrying = outcome(event, QUEUE, "retrying", at(0), attempts=1)

    await record(database, retrying, retrying)

    assert await steps(database, event) == ["retrying"]


async def test_queues_are_learnt_from_their_reports_and_known_since_the_first(
    database: Database,
) -> None:
    first, second = f"evt_{uuid.uuid4().hex}", f"evt_{uuid.uuid4().hex}"

    await record(
        database,
        outcome(first, QUEUE, "handled", at(0)),
        outcome(second, QUEUE, "handled", at(60), binding_keys=("stripe.#", "pluggy.item.*")),
        outcome(second, "banking.pluggy", "dropped", at(61), binding_keys=None),
    )

    async with database.sessions() as session:
        queues = (await session.scalars(select(FateQueue))).all()
    assert [(q.name, q.binding_keys, q.known_since) for q in queues] == [
        (QUEUE, ["stripe.#", "pluggy.item.*"], at(0))
    ]
    assert queues[0].pattern == binding_pattern(["stripe.#", "pluggy.item.*"])


async def test_fates_go_with_the_events_retention(database: Database) -> None:
    settings = get_settings()
    old, recent = f"evt_{uuid.uuid4().hex}", f"evt_{uuid.uuid4().hex}"
    long_ago = utcnow() - timedelta(days=settings.retention_days, hours=1)
    told_long_ago = outcome(old, QUEUE, "handled", long_ago)
    await record(
        database,
        told_long_ago,
        outcome(recent, "billing.other", "handled", utcnow() - timedelta(days=1)),
    )
    async with database.transaction() as session:  # recorded then, as its outcome says
        await session.execute(
            update(InboxEvent)
            .where(InboxEvent.event_id == told_long_ago.id)
            .values(handled_at=long_ago)
        )

    await prune_old_events(Runtime(settings=settings, database=database))

    async with database.sessions() as session:
        kept_fates = (await session.scalars(select(EventFate.event_id))).all()
        kept_steps = (await session.scalars(select(FateStep.event_id))).all()
        kept_queues = (await session.scalars(select(FateQueue.name))).all()
        inbox = await session.scalar(select(func.count()).select_from(InboxEvent))
    assert (kept_fates, kept_steps, kept_queues) == ([recent], [recent], ["billing.other"])
    assert inbox == 1  # the outcome's id, kept as long as what it told


async def test_a_batch_of_outcomes_is_recorded_whole(database: Database) -> None:
    first, second = f"evt_{uuid.uuid4().hex}", f"evt_{uuid.uuid4().hex}"
    told = [
        outcome(first, QUEUE, "handled", at(0)),
        outcome(second, QUEUE, "retrying", at(1), attempts=1),
        outcome(second, QUEUE, "handled", at(2), attempts=1),
    ]
    outcomes = [each for envelope in told for each in envelope.data["outcomes"]]

    await record(database, new_event("bus", "outcome", {"outcomes": outcomes}))

    assert await fates(database, first) == [(QUEUE, "handled", 0, None)]
    assert await fates(database, second) == [(QUEUE, "handled", 1, None)]
    assert await steps(database, second) == ["retrying", "handled"]
