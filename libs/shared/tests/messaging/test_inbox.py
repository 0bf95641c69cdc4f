"""The inbox: an event's effect happens once, however often and however concurrently it arrives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event
from finhub_shared.inbox import HandlerRegistry, inbox_dispatcher

from .conftest import Effect, InboxEvent


@dataclass(frozen=True)
class Runtime:
    """What a worker hands its handlers; these need nothing but the database."""

    database: Database


def registry_recording_effects(delay: float = 0.0) -> HandlerRegistry[Runtime]:
    registry: HandlerRegistry[Runtime] = HandlerRegistry()

    @registry.on("plan.changed")
    async def record(session: AsyncSession, envelope: EventEnvelope, runtime: Runtime) -> None:
        await session.execute(insert(Effect).values(event_id=envelope.id))
        await asyncio.sleep(delay)

    return registry


async def effect_count(database: Database) -> int:
    async with database.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Effect))).scalar_one())


async def inbox_outcomes(database: Database) -> list[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(select(InboxEvent.event_type, InboxEvent.outcome))
        return [(event_type, outcome) for event_type, outcome in rows.all()]


@pytest.mark.asyncio
async def test_a_redelivered_event_has_its_effect_once(database: Database) -> None:
    dispatch = inbox_dispatcher(
        Runtime(database), InboxEvent, "billing.test", registry_recording_effects()
    )
    envelope = new_event("billing", "plan.changed", {})

    skipped = [await dispatch(envelope), await dispatch(envelope)]

    assert await effect_count(database) == 1
    assert await inbox_outcomes(database) == [("plan.changed", "handled")]
    assert skipped == [None, "duplicate"]  # reported as handled, then ignored


@pytest.mark.asyncio
async def test_concurrent_deliveries_of_one_event_have_one_effect(database: Database) -> None:
    dispatch = inbox_dispatcher(
        Runtime(database), InboxEvent, "billing.test", registry_recording_effects(delay=0.2)
    )
    envelope = new_event("billing", "plan.changed", {})

    await asyncio.gather(*(dispatch(envelope) for _ in range(5)))

    assert await effect_count(database) == 1


@pytest.mark.asyncio
async def test_each_consumer_handles_the_event_once_for_itself(database: Database) -> None:
    registry = registry_recording_effects()
    envelope = new_event("billing", "plan.changed", {})
    runtime = Runtime(database)

    await inbox_dispatcher(runtime, InboxEvent, "banking.entitlements", registry)(envelope)
    await inbox_dispatcher(runtime, InboxEvent, "banking.sync-jobs", registry)(envelope)

    assert await effect_count(database) == 2


@pytest.mark.asyncio
async def test_an_event_without_handler_is_recorded_as_ignored(database: Database) -> None:
    dispatch = inbox_dispatcher(
        Runtime(database), InboxEvent, "billing.test", registry_recording_effects()
    )

    skipped = await dispatch(new_event("billing", "something.unknown", {}))

    assert skipped == "no_handler"
    assert await effect_count(database) == 0
    assert await inbox_outcomes(database) == [("something.unknown", "ignored")]


@pytest.mark.asyncio
async def test_a_failing_handler_leaves_no_trace_so_the_retry_runs_it_again(
    database: Database,
) -> None:
    registry: HandlerRegistry[Runtime] = HandlerRegistry()
    attempts = 0

    @registry.on("plan.changed")
    async def fail_first_time(
        session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
    ) -> None:
        nonlocal attempts
        attempts += 1
        await session.execute(insert(Effect).values(event_id=envelope.id))
        if attempts == 1:
            raise ConnectionError("provider timed out")

    dispatch = inbox_dispatcher(Runtime(database), InboxEvent, "billing.test", registry)
    envelope = new_event("billing", "plan.changed", {})

    with pytest.raises(ConnectionError):
        await dispatch(envelope)
    assert await effect_count(database) == 0
    assert await inbox_outcomes(database) == []

    await dispatch(envelope)
    assert await effect_count(database) == 1


def test_one_handler_per_event_type() -> None:
    registry = registry_recording_effects()

    with pytest.raises(ValueError, match="two handlers"):
        registry.on("plan.changed")(registry.handler_for("plan.changed"))
