"""A consumer continues the trace its message carries, through retries, or starts a new one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from aio_pika import Message
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from finhub_dev.traces import Recording, recording_spans
from finhub_shared.bus import Consumer, ConsumerQueue, Publisher
from finhub_shared.events import EventEnvelope, new_event

NewQueue = Callable[..., ConsumerQueue]
StartConsumer = Callable[[Consumer], Awaitable[Consumer]]
WaitFor = Callable[..., Awaitable[None]]


@pytest.fixture
def recording() -> Iterator[Recording]:
    with recording_spans() as recording:
        yield recording


def consumer_spans(recording: Recording) -> list[ReadableSpan]:
    return [span for span in recording.spans() if span.kind is SpanKind.CONSUMER]


@pytest.mark.asyncio
async def test_each_attempt_at_a_message_continues_the_trace_of_its_publish(
    recording: Recording,
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    publisher: Publisher,
    wait_for: WaitFor,
) -> None:
    queue = new_queue("banking.{name}.#", retry_delays_seconds=(0.1,))
    handled_in: list[int] = []

    async def fail_once(envelope: EventEnvelope) -> None:
        handled_in.append(trace.get_current_span().get_span_context().span_id)
        if len(handled_in) == 1:
            raise RuntimeError("the first attempt fails")

    await start_consumer(Consumer(amqp_url, queue, fail_once))
    with recording.tracer.start_as_current_span("request") as request:
        await publisher.publish_envelope(new_event("banking", f"{queue.name}.created", {}))

    await wait_for(lambda: len(consumer_spans(recording)) == 2)
    [publish] = [span for span in recording.spans() if span.kind is SpanKind.PRODUCER]
    attempts = consumer_spans(recording)
    assert publish.parent is not None
    assert publish.parent.span_id == request.get_span_context().span_id
    for attempt in attempts:
        assert attempt.name == f"process {queue.name}"
        assert attempt.context.trace_id == request.get_span_context().trace_id
        assert attempt.parent is not None
        assert attempt.parent.span_id == publish.context.span_id
    assert handled_in == [attempt.context.span_id for attempt in attempts]


@pytest.mark.asyncio
async def test_a_message_without_a_trace_context_starts_a_new_trace(
    recording: Recording,
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    publisher: Publisher,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()
    handled_in: list[trace.SpanContext] = []

    async def handle(envelope: EventEnvelope) -> None:
        handled_in.append(trace.get_current_span().get_span_context())

    await start_consumer(Consumer(amqp_url, queue, handle))
    envelope = new_event("banking", "bustest.happened", {})
    # Straight to the queue, as a publisher that knows nothing of traces sends it.
    untraced = Message(envelope.model_dump_json().encode(), message_id=envelope.id)
    with recording.tracer.start_as_current_span("elsewhere") as elsewhere:
        await publisher.send_to_queue(queue.name, untraced)

    await wait_for(lambda: len(handled_in) == 1)
    await wait_for(lambda: len(consumer_spans(recording)) == 1)
    [process] = consumer_spans(recording)
    assert "traceparent" not in untraced.headers
    assert process.parent is None
    assert process.context.trace_id != elsewhere.get_span_context().trace_id
    assert handled_in[0].span_id == process.context.span_id


@pytest.mark.asyncio
async def test_a_failed_attempt_is_an_error_span_saying_why_without_the_secret_it_held(
    recording: Recording,
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    publisher: Publisher,
    wait_for: WaitFor,
) -> None:
    queue = new_queue("banking.{name}.#", retry_delays_seconds=(0.1,))
    attempts: list[int] = []

    async def fail_once(envelope: EventEnvelope) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("upstream refused key sk_live_abcdefghijklmnop123456")

    await start_consumer(Consumer(amqp_url, queue, fail_once))
    await publisher.publish_envelope(new_event("banking", f"{queue.name}.created", {}))

    await wait_for(lambda: len(consumer_spans(recording)) == 2)
    failed, succeeded = consumer_spans(recording)
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description is not None
    assert failed.status.description.startswith("RuntimeError: upstream refused key")
    assert "sk_live_abcdefghijklmnop123456" not in failed.status.description
    assert not failed.events
    assert succeeded.status.status_code is StatusCode.UNSET
