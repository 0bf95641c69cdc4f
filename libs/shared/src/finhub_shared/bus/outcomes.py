"""What became of each provider event on each queue that consumed it, told on the bus.

Consumers report each message's outcome (handled, retrying, dead_lettered, ignored) and the
dead-letter tooling each replay or drop, as `bus.outcome` messages; the gateway records them
(its event fates). Reporting is best-effort and off the consumer's path: an outcome is sent by a
task of its own, so no message waits for its confirm, and at most `MAX_IN_FLIGHT` at once; past
that, or on any failure, it is dropped and counted. A lost outcome is acceptable, a lost event
is not. Only provider events are reported (the gateway shows the events it stored), so outcome
messages are never reported themselves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Literal, get_args

import structlog
from pydantic import AwareDatetime, BaseModel, Field

from finhub_shared.bus.publisher import Publisher
from finhub_shared.catalogue import ProviderSource
from finhub_shared.events import EventEnvelope, utcnow
from finhub_shared.metrics import OUTCOMES_LOST, OUTCOMES_REPORTED

log = structlog.get_logger(__name__)

OUTCOME_SOURCE = "bus"
OUTCOME_TYPE = "outcome"
OUTCOME_ROUTING_KEY = f"{OUTCOME_SOURCE}.{OUTCOME_TYPE}"
# Outcomes waiting for their confirm; beyond this (a broker that stopped confirming) new ones
# are dropped rather than piling up in memory.
MAX_IN_FLIGHT = 1000
# How long a stopping consumer waits for its last outcomes to be confirmed.
FLUSH_SECONDS = 2.0

State = Literal["handled", "retrying", "dead_lettered", "ignored", "replayed", "dropped"]
# What a message handler returns when it did nothing with an event: no handler for its type,
# or its inbox already held it (a redelivery or a replay).
Skipped = Literal["no_handler", "duplicate"]
_REPORTED_SOURCES: frozenset[str] = frozenset(get_args(ProviderSource))


class Outcome(BaseModel):
    """What happened to one event on one consuming queue (the data of `bus.outcome`)."""

    event_id: str = Field(max_length=255)
    event_source: str = Field(max_length=20)
    event_type: str = Field(max_length=255)
    queue: str = Field(max_length=255)
    service: str = Field(max_length=100, description="The consuming service (the queue's prefix).")
    binding_keys: list[str] | None = Field(
        None, description="The queue's bindings, when the consumer reports; null from DLQ tools."
    )
    state: State
    at: AwareDatetime
    attempts: int = Field(0, ge=0, description="Failed handling attempts so far.")
    error: str | None = Field(None, description="The last failed attempt's error, redacted.")
    reason: str | None = Field(
        None, description="Why it was dead-lettered, or ignored (no_handler, duplicate)."
    )


def is_reported(envelope: EventEnvelope) -> bool:
    """Whether outcomes of this event are reported: provider events only."""
    return envelope.source in _REPORTED_SOURCES


def outcome_of(
    envelope: EventEnvelope,
    queue_name: str,
    state: State,
    *,
    binding_keys: Sequence[str] | None = None,
    attempts: int = 0,
    error: str | None = None,
    reason: str | None = None,
) -> EventEnvelope:
    """The `bus.outcome` envelope telling that `envelope` reached `state` on `queue_name` now."""
    outcome = Outcome(
        event_id=envelope.id,
        event_source=envelope.source,
        event_type=envelope.type,
        queue=queue_name,
        service=queue_name.split(".", 1)[0],
        binding_keys=list(binding_keys) if binding_keys is not None else None,
        state=state,
        at=utcnow(),
        attempts=attempts,
        error=error,
        reason=reason,
    )
    return EventEnvelope(
        id=str(uuid.uuid4()),
        source=OUTCOME_SOURCE,
        type=OUTCOME_TYPE,
        occurred_at=outcome.at,
        received_at=outcome.at,
        company_id=envelope.company_id,
        data=outcome.model_dump(mode="json"),
    )


async def send(publisher: Publisher, outcome: EventEnvelope, correlation_id: str | None) -> None:
    """Publish an outcome and wait for its confirm; a failure is logged and counted, not raised."""
    try:
        await publisher.publish(
            OUTCOME_ROUTING_KEY,
            outcome.model_dump_json().encode(),
            message_id=outcome.id,
            correlation_id=correlation_id,
        )
    except Exception as error:
        # Best-effort by design: nothing bound yet (no gateway worker), a broker outage...
        OUTCOMES_LOST.inc()
        log.info("bus_outcome_lost", error=type(error).__name__)
        return
    OUTCOMES_REPORTED.inc()


class OutcomeReporter:
    """Sends a consumer's outcomes from tasks of their own, so handling never waits on them."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._sending: set[asyncio.Task[None]] = set()

    def report(self, outcome: EventEnvelope, correlation_id: str | None) -> None:
        """Start sending `outcome`; dropped at once when too many are still unconfirmed."""
        if len(self._sending) >= MAX_IN_FLIGHT:
            OUTCOMES_LOST.inc()
            return
        task = asyncio.create_task(send(self._publisher, outcome, correlation_id))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def flush(self) -> None:
        """Wait a moment for the outcomes still being sent; those left are given up."""
        if not self._sending:
            return
        _, late = await asyncio.wait(set(self._sending), timeout=FLUSH_SECONDS)
        for task in late:
            task.cancel()
        OUTCOMES_LOST.inc(len(late))
