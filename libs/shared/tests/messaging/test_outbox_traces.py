"""The trace of the change that writes an outbox row goes on in the message the relay publishes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aio_pika.abc import AbstractQueue
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id
from sqlalchemy import select

from finhub_dev.traces import Recording, recording_spans
from finhub_shared.bus import Publisher
from finhub_shared.db import Database
from finhub_shared.events import new_event
from finhub_shared.outbox import OutboxRelay, enqueue

from .conftest import OutboxMessage


@pytest.fixture
def recording() -> Iterator[Recording]:
    with recording_spans() as recording:
        yield recording


def ids_in(traceparent: object) -> tuple[str, str]:
    """The trace id and parent span id a W3C traceparent names."""
    assert isinstance(traceparent, str)
    _, trace_id, span_id, _ = traceparent.split("-")
    return trace_id, span_id


@pytest.mark.asyncio
async def test_the_row_keeps_the_writers_trace_and_the_message_carries_it_on(
    recording: Recording,
    database: Database,
    publisher: Publisher,
    probe_queue: AbstractQueue,
    event_type: str,
) -> None:
    with recording.tracer.start_as_current_span("change") as change:
        async with database.transaction() as session:
            await enqueue(session, OutboxMessage, new_event("billing", event_type, {}))
    async with database.sessions() as session:
        stored = (await session.execute(select(OutboxMessage.trace_context))).scalar_one()

    # The relay publishes outside any span of its own: the row alone links the message.
    await OutboxRelay(database, OutboxMessage, publisher).relay_batch()
    message = await probe_queue.get(timeout=5)

    trace_id = format_trace_id(change.get_span_context().trace_id)
    assert stored is not None
    assert ids_in(stored["traceparent"]) == (
        trace_id,
        format_span_id(change.get_span_context().span_id),
    )
    [publish] = [span for span in recording.spans() if span.kind is SpanKind.PRODUCER]
    assert publish.name == f"publish billing.{event_type}"
    assert publish.parent is not None
    assert publish.parent.span_id == change.get_span_context().span_id
    assert ids_in(message.headers["traceparent"]) == (
        trace_id,
        format_span_id(publish.context.span_id),
    )


@pytest.mark.asyncio
async def test_a_row_written_outside_any_trace_is_published_in_a_trace_of_its_own(
    recording: Recording,
    database: Database,
    publisher: Publisher,
    probe_queue: AbstractQueue,
    event_type: str,
) -> None:
    async with database.transaction() as session:
        await enqueue(session, OutboxMessage, new_event("billing", event_type, {}))

    await OutboxRelay(database, OutboxMessage, publisher).relay_batch()
    message = await probe_queue.get(timeout=5)

    async with database.sessions() as session:
        assert (await session.execute(select(OutboxMessage.trace_context))).scalar_one() is None
    [publish] = [span for span in recording.spans() if span.kind is SpanKind.PRODUCER]
    assert publish.parent is None
    assert ids_in(message.headers["traceparent"]) == (
        format_trace_id(publish.context.trace_id),
        format_span_id(publish.context.span_id),
    )
