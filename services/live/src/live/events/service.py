"""Storing a consumed event for the streams: checked against its contract, numbered, announced."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.bus import Refused
from finhub_shared.events import EventEnvelope
from finhub_shared.tracing import current_trace_context
from live.events import repository
from live.events.models import LiveEvent
from live.events.schemas import CONTRACTS


async def record(session: AsyncSession, envelope: EventEnvelope) -> int:
    """Store the event as its company's next one; its `seq`. Refused (to the DLQ) when it breaks
    the contract: no company, or data that does not fit its model."""
    contract = CONTRACTS.get(envelope.routing_key)
    if contract is None:
        raise Refused(f"{envelope.routing_key} is not an event the live stream shows")
    if envelope.company_id is None:
        raise Refused(f"{envelope.routing_key} carries no company_id")
    try:
        data = contract.model.model_validate(envelope.data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise Refused(f"data.{where}: {first['msg']}") from None
    seq = await repository.next_seq(session, envelope.company_id)
    event = LiveEvent(
        company_id=envelope.company_id,
        seq=seq,
        event_id=envelope.id,
        type=contract.name,
        shown=contract.shown,
        occurred_at=envelope.occurred_at,
        data=data.model_dump(mode="json"),
        trace_context=current_trace_context(),
    )
    await repository.add(session, event)
    return seq
