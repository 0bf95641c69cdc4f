"""Consumers and the dead-letter tools report each provider event's outcome on the bus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import REGISTRY

from finhub_shared.bus import (
    Consumer,
    ConsumerQueue,
    Publisher,
    Refused,
    dead_letter_queue_name,
    drop,
    replay,
)
from finhub_shared.bus.outcomes import (
    BATCH_SIZE,
    OUTCOME_ROUTING_KEY,
    Outcome,
    OutcomeReporter,
    Outcomes,
    Skipped,
    outcome_of,
    send,
)
from finhub_shared.events import EXCHANGE, EventEnvelope, Source, new_event

NewQueue = Callable[..., ConsumerQueue]
StartConsumer = Callable[[Consumer], Awaitable[Consumer]]
WaitFor = Callable[..., Awaitable[None]]


class Collected:
    """Every `bus.outcome` message published while the test runs, decoded."""

    def __init__(self) -> None:
        self.received: list[tuple[EventEnvelope, AbstractIncomingMessage]] = []

    @property
    def outcomes(self) -> list[Outcome]:
        return [
            outcome
            for envelope, _ in self.received
            for outcome in Outcomes.model_validate(envelope.data).outcomes
        ]

    def of(self, event: EventEnvelope) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.event_id == event.id]

    def states(self, event: EventEnvelope) -> list[str]:
        return [outcome.state for outcome in self.of(event)]


@pytest_asyncio.fixture
async def outcomes(amqp_url: str) -> AsyncIterator[Collected]:
    """A queue of the test's own bound to `bus.outcome`, read as the outcomes come."""
    collected = Collected()

    async def take(message: AbstractIncomingMessage) -> None:
        async with message.process():
            collected.received.append((EventEnvelope.model_validate_json(message.body), message))

    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        queue = await channel.declare_queue(
            f"test-outcomes.{uuid.uuid4().hex[:12]}", exclusive=True, auto_delete=True
        )
        await queue.bind(EXCHANGE, routing_key=OUTCOME_ROUTING_KEY)
        await queue.consume(take)
        yield collected


@pytest_asyncio.fixture
async def send_provider_event(publisher: Publisher) -> Callable[..., Awaitable[EventEnvelope]]:
    """Publishes a fresh envelope from `source` (a provider by default) for the queue."""

    async def send_one(
        queue: ConsumerQueue, source: Source = "stripe", **data: Any
    ) -> EventEnvelope:
        envelope = new_event(source, "invoice.paid", data)
        await publisher.publish(
            f"{queue.name}.happened",
            envelope.model_dump_json().encode(),
            message_id=envelope.id,
            correlation_id="corr-outcome",
        )
        return envelope

    return send_one


@pytest.mark.asyncio
async def test_a_handled_event_is_reported_with_its_queue_service_and_bindings(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
) -> None:
    queue = new_queue()

    async def handle(_: EventEnvelope) -> None:
        return None

    await start_consumer(Consumer(amqp_url, queue, handle))
    event = await send_provider_event(queue)

    await wait_for(lambda: outcomes.states(event) == ["handled"])
    [outcome] = outcomes.of(event)
    assert (outcome.event_source, outcome.event_type) == ("stripe", "invoice.paid")
    assert (outcome.queue, outcome.service) == (queue.name, "test-bus")
    assert outcome.binding_keys == list(queue.binding_keys)
    assert (outcome.attempts, outcome.error, outcome.reason) == (0, None, None)
    assert outcome.correlation_id == "corr-outcome"
    [(envelope, message)] = outcomes.received
    assert (envelope.source, envelope.type) == ("bus", "outcome")
    assert message.routing_key == "bus.outcome"
    assert message.message_id == envelope.id


@pytest.mark.asyncio
async def test_each_failed_attempt_is_reported_as_retrying_with_its_redacted_error(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1, 0.1))
    attempts: list[str] = []

    async def fail_twice(envelope: EventEnvelope) -> None:
        attempts.append(envelope.id)
        if len(attempts) <= 2:
            raise ConnectionError("billing db refused key sk_live_4eC39HqLyjWDarjtT1zdp7dc")

    await start_consumer(Consumer(amqp_url, queue, fail_twice))
    event = await send_provider_event(queue)

    await wait_for(lambda: outcomes.states(event) == ["retrying", "retrying", "handled"])
    first, second, handled = outcomes.of(event)
    assert (first.attempts, second.attempts, handled.attempts) == (1, 2, 2)
    assert first.error == "ConnectionError: billing db refused key [REDACTED]"
    assert first.at < second.at < handled.at


@pytest.mark.asyncio
async def test_exhausted_retries_and_refusals_are_reported_as_dead_lettered(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1,))

    async def handle(envelope: EventEnvelope) -> None:
        if envelope.data.get("refuse"):
            raise Refused("the plan 'gold' does not exist")
        raise ValueError("no company for customer cus_9")

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    failing = await send_provider_event(queue)
    refused = await send_provider_event(queue, refuse=True)

    await wait_for(lambda: outcomes.states(failing) == ["retrying", "dead_lettered"])
    await wait_for(lambda: outcomes.states(refused) == ["dead_lettered"])
    parked = outcomes.of(failing)[-1]
    assert (parked.attempts, parked.reason) == (2, "retries exhausted")
    assert parked.error == "ValueError: no company for customer cus_9"
    [refusal] = outcomes.of(refused)
    assert refusal.reason == "refused: Refused: the plan 'gold' does not exist"


@pytest.mark.asyncio
@pytest.mark.parametrize("skipped", ["no_handler", "duplicate"])
async def test_an_event_the_handler_skips_is_reported_as_ignored_and_why(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
    skipped: Skipped,
) -> None:
    queue = new_queue()

    async def skip(_: EventEnvelope) -> Skipped:
        return skipped

    await start_consumer(Consumer(amqp_url, queue, skip))
    event = await send_provider_event(queue)

    await wait_for(lambda: outcomes.states(event) == ["ignored"])
    assert outcomes.of(event)[0].reason == skipped


@pytest.mark.asyncio
async def test_only_provider_events_are_reported_so_outcomes_never_report_themselves(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
) -> None:
    queue = new_queue("{name}.#", OUTCOME_ROUTING_KEY)
    taken: list[EventEnvelope] = []

    async def handle(envelope: EventEnvelope) -> None:
        taken.append(envelope)

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    own = await send_provider_event(queue, source="billing")
    provider = await send_provider_event(queue, source="pluggy")

    # The queue takes the provider event's outcome too, after the billing event (one at a time).
    await wait_for(lambda: [envelope.source for envelope in taken] == ["billing", "pluggy", "bus"])
    await wait_for(lambda: len(outcomes.outcomes) == 1)
    assert outcomes.states(provider) == ["handled"]
    assert outcomes.of(own) == []


@pytest.mark.asyncio
async def test_replaying_and_dropping_dead_letters_are_reported(
    amqp_url: str,
    new_queue: NewQueue,
    start_consumer: StartConsumer,
    send_provider_event: Callable[..., Awaitable[EventEnvelope]],
    outcomes: Collected,
    wait_for: WaitFor,
) -> None:
    queue = new_queue(retry_delays_seconds=(0.1,))
    healed: set[str] = set()

    async def handle(envelope: EventEnvelope) -> None:
        if envelope.id not in healed:
            raise LookupError("company has no subscription row")

    await start_consumer(Consumer(amqp_url, queue, handle, prefetch=1))
    replayed = await send_provider_event(queue)
    dropped = await send_provider_event(queue)
    await wait_for(lambda: outcomes.states(replayed)[-1:] == ["dead_lettered"])
    await wait_for(lambda: outcomes.states(dropped)[-1:] == ["dead_lettered"])
    healed.add(replayed.id)
    dlq = dead_letter_queue_name(queue.name)

    assert await replay(amqp_url, dlq, queue.name, message_id=replayed.id) == 1
    assert await drop(amqp_url, dlq, message_id=dropped.id) == 1

    await wait_for(lambda: outcomes.states(replayed)[-2:] == ["replayed", "handled"])
    await wait_for(lambda: outcomes.states(dropped)[-1:] == ["dropped"])
    replay_outcome, handled = outcomes.of(replayed)[-2:]
    assert (replay_outcome.queue, replay_outcome.binding_keys) == (queue.name, None)
    assert (replay_outcome.attempts, replay_outcome.reason) == (2, "retries exhausted")
    assert replay_outcome.at < handled.at
    assert handled.attempts == 0  # a replay starts a fresh round of attempts
    assert outcomes.of(dropped)[-1].queue == queue.name


@pytest.mark.asyncio
async def test_an_outcome_that_cannot_be_sent_is_counted_lost_and_not_raised(
    amqp_url: str,
) -> None:
    never_connected = Publisher(amqp_url, name="never connected")
    lost_before = REGISTRY.get_sample_value("bus_outcomes_lost_total") or 0
    outcome = outcome_of(new_event("stripe", "invoice.paid", {}), "billing.stripe", "handled")

    await send(never_connected, [outcome, outcome])

    assert REGISTRY.get_sample_value("bus_outcomes_lost_total") == lost_before + 2


@pytest.mark.asyncio
async def test_outcomes_go_in_batches_sent_when_full_and_when_the_consumer_stops(
    publisher: Publisher, outcomes: Collected, wait_for: WaitFor
) -> None:
    reporter = OutcomeReporter(publisher)
    events = [new_event("pluggy", "item/updated", {}) for _ in range(BATCH_SIZE + 1)]

    for event in events:
        reporter.report(outcome_of(event, "banking.pluggy", "handled"))
    await wait_for(lambda: len(outcomes.received) == 1)
    await reporter.flush()

    await wait_for(lambda: len(outcomes.received) == 2)
    sizes = [len(envelope.data["outcomes"]) for envelope, _ in outcomes.received]
    assert sizes == [BATCH_SIZE, 1]
    assert [outcome.event_id for outcome in outcomes.outcomes] == [event.id for event in events]
