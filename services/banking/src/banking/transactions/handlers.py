"""Pluggy's transactions/deleted: transactions deleted here once Pluggy confirms they are gone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.pluggy.webhooks import TransactionsChanged
from banking.registries import pluggy_events
from banking.runtime import Runtime
from banking.transactions import events
from finhub_shared.events import EventEnvelope
from finhub_shared.inbox import Effect


@pluggy_events.on("transactions/deleted")
async def on_transactions_deleted(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Delete the listed transactions Pluggy no longer has (the event is not signed)."""
    event = TransactionsChanged.model_validate(envelope.data)
    gone = await events.confirm_deleted(
        runtime.database, runtime, event.account_id, event.transaction_ids
    )
    if not gone:
        return None

    async def delete(session: AsyncSession) -> None:
        await events.delete_confirmed(session, event.account_id, gone, envelope.id)

    return delete
