"""What became of each provider event on each queue that consumed it, told on the bus.

Consumers report each message's outcome (handled, retrying, dead_lettered, ignored) and the
dead-letter tooling each replay or drop, in `bus.outcome` messages; the gateway records them
(its event fates). Reporting is best-effort and off the consumer's path: a consumer gathers its
outcomes for up to `BATCH_SECONDS` (or `BATCH_SIZE` of them) and sends them as one message from a
task of its own, so no message waits for it; past `MAX_WAITING` outcomes (a broker that stopped
confirming), or on any failure, they are dropped and counted. A lost outcome is acceptable, a lost
event is not. Only provider events are reported (the gateway shows the events it stored), so
outcome messages are never reported themselves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Final, Literal, get_args

import structlog
from pydantic import AwareDatetime, BaseModel, Field

from finhub_shared.bus.publisher import Publisher
from finhub_shared.catalogue import ProviderSource
from finhub_shared.events import EventEnvelope, new_event, utcnow
from finhub_shared.metrics import OUTCOMES_LOST, OUTCOMES_REPORTED

log = structlog.get_logger(__name__)

OUTCOME_SOURCE: Final = "bus"
OUTCOME_TYPE = "outcome"
OUTCOME_ROUTING_KEY = f"{OUTCOME_SOURCE}.{OUTCOME_TYPE}"
# A consumer's outcomes go out together, at most this long after the first of them...
BATCH_SECONDS = 0.2
# ...or as soon as there are this many.
BATCH_SIZE = 100
# Outcomes gathered or sent and not yet confirmed; beyond, new ones are dropped.
MAX_WAITING = 10_000
# How long a stopping consumer waits for its last outcomes to be confirmed.
FLUSH_SECONDS = 2.0

State = Literal["handled", "retrying", "dead_lettered", "ignored", "replayed", "dropped"]
# What a message handler returns when it did nothing with an event: no handler for its type,
# or its inbox already held it (a redelivery or a replay).
Skipped = Literal["no_handler", "duplicate"]
_REPORTED_SOURCES: frozenset[str] = frozenset(get_args(ProviderSource))


class Outcome(BaseModel):
    """What happened to one event on one consuming queue."""

    id: uuid.UUID = Field(description="The outcome's own id: recorded once however often sent.")
    event_id: str = Field(max_length=255)
    event_source: str = Field(max_length=20)
    event_type: str = Field(max_length=255)
    queue: str = Field(max_length=255)
    service: str = Field(max_length=100, description="The consuming service (the queue's prefix).")
    binding_keys: list[str] | None = Field(
        None, description="The queue's bindings, when its consumer reports; null from DLQ tools."
    )
    state: State
    at: AwareDatetime
    attempts: int = Field(0, ge=0, description="Failed handling attempts so far.")
    error: str | None = Field(None, description="The last failed attempt's error, redacted.")
    reason: str | None = Field(
        None, description="Why it was dead-lettered, or ignored (no_handler, duplicate)."
    )
    correlation_id: str | None = Field(None, max_length=255)


class Outcomes(BaseModel):
    """The data of a `bus.outcome` message: one or more outcomes, oldest first."""

    outcomes: list[Outcome] = Field(min_length=1)


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
    correlation_id: str | None = None,
) -> Outcome:
    """That `envelope` reached `state` on `queue_name` now."""
    return Outcome(
        id=uuid.uuid4(),
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
        correlation_id=correlation_id,
    )


async def send(publisher: Publisher, outcomes: Sequence[Outcome]) -> None:
    """Publish outcomes as one message and wait for its confirm; a failure is logged and counted,
    never raised."""
    data = Outcomes(outcomes=list(outcomes)).model_dump(mode="json")
    envelope = new_event(OUTCOME_SOURCE, OUTCOME_TYPE, data)
    try:
        # Each outcome carries its event's correlation id; the batch is its own.
        await publisher.publish(
            OUTCOME_ROUTING_KEY,
            envelope.model_dump_json().encode(),
            message_id=envelope.id,
            correlation_id=envelope.id,
        )
    except Exception as error:
        # Best-effort by design: nothing bound yet (no gateway worker), a broker outage...
        OUTCOMES_LOST.inc(len(outcomes))
        log.info("bus_outcomes_lost", outcomes=len(outcomes), error=type(error).__name__)
        return
    OUTCOMES_REPORTED.inc(len(outcomes))


class OutcomeReporter:
    """Gathers a consumer's outcomes and sends them in batches from tasks of their own, so
    handling never waits on them."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._gathered: list[Outcome] = []
        self._timer: asyncio.TimerHandle | None = None
        self._sending: dict[asyncio.Task[None], int] = {}

    def report(self, outcome: Outcome) -> None:
        """Add the outcome to the next batch; dropped at once when too many are waiting."""
        if len(self._gathered) + sum(self._sending.values()) >= MAX_WAITING:
            OUTCOMES_LOST.inc()
            return
        self._gathered.append(outcome)
        if len(self._gathered) >= BATCH_SIZE:
            self._send_gathered()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._send_gathered)

    async def flush(self) -> None:
        """Send what is gathered and wait a moment for every batch's confirm; the rest is lost."""
        self._send_gathered()
        if not self._sending:
            return
        _, late = await asyncio.wait(set(self._sending), timeout=FLUSH_SECONDS)
        for task in late:
            OUTCOMES_LOST.inc(self._sending[task])
            task.cancel()

    def _send_gathered(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._gathered = self._gathered, []
        if not batch:
            return
        task = asyncio.create_task(send(self._publisher, batch))
        self._sending[task] = len(batch)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.pop(task, None)
