"""Outcomes as consumers report them, and the gateway's worker recording them (its fates queue)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from finhub_shared.bus.outcomes import Outcome, Outcomes, State
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, new_event
from finhub_shared.inbox import inbox_dispatcher
from webhook_gateway import consumer
from webhook_gateway.config import get_settings
from webhook_gateway.database import InboxEvent
from webhook_gateway.registries import FATES_QUEUE, fate_events
from webhook_gateway.runtime import Runtime

assert consumer.SUBSCRIPTIONS  # its handlers registered


def outcome(
    event_id: str,
    queue: str,
    state: State,
    at: datetime,
    *,
    source: str = "stripe",
    binding_keys: tuple[str, ...] | None = ("stripe.#",),
    **fields: Any,
) -> EventEnvelope:
    """The `bus.outcome` a consumer of `queue` sends when `event_id` reaches `state` at `at`."""
    told = Outcome(
        id=uuid.uuid4(),
        event_id=event_id,
        event_source=source,
        event_type="invoice.paid",
        queue=queue,
        service=queue.split(".", 1)[0],
        binding_keys=list(binding_keys) if binding_keys is not None else None,
        state=state,
        at=at,
        **fields,
    )
    return new_event("bus", "outcome", Outcomes(outcomes=[told]).model_dump(mode="json"))


async def record(database: Database, *outcomes: EventEnvelope) -> None:
    """Handle each outcome as the gateway's worker does, one message at a time."""
    runtime = Runtime(settings=get_settings(), database=database)
    dispatch = inbox_dispatcher(runtime, InboxEvent, FATES_QUEUE, fate_events)
    for each in outcomes:
        await dispatch(each)
