"""Sync jobs from banking's own work queue, and Pluggy's transaction events."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking import runtime
from banking.items import service as items
from banking.pluggy.webhooks import TransactionsChanged, TransactionsCreated
from banking.registries import pluggy_events
from banking.sync import models as jobs
from banking.sync import service
from finhub_shared.bus import MessageHandler
from finhub_shared.db import Database
from finhub_shared.events import EventEnvelope, utcnow
from finhub_shared.inbox import Effect

log = structlog.get_logger(__name__)


def sync_job_runner(database: Database) -> MessageHandler:
    """`banking.sync-jobs`' handler. It commits as it goes (no transaction may span Pluggy's
    calls), so it needs no inbox: the job's status makes a redelivery do nothing."""

    async def run_requested_job(envelope: EventEnvelope) -> None:
        if envelope.type != service.SYNC_REQUESTED:
            log.info("event_ignored")
            return
        job_id = uuid.UUID(envelope.data["job_id"])
        await service.run_job(database, runtime.current(), job_id, utcnow)

    return run_requested_job


@pluggy_events.on("transactions/created")
async def on_transactions_created(database: Database, envelope: EventEnvelope) -> Effect | None:
    """Queue an incremental sync of the account from the first new transaction."""
    event = TransactionsCreated.model_validate(envelope.data)
    current, now = runtime.current(), utcnow()
    lookup = await items.look_up_account(database, current, event.item_id, event.account_id, now)
    if not lookup.may_exist:
        return None

    async def queue(session: AsyncSession) -> None:
        account = await items.find_account(session, current, lookup, now)
        if account is not None:
            await service.queue_sync(
                session,
                account,
                jobs.TRIGGER_WEBHOOK,
                created_at_from=event.transactions_created_at_from,
            )

    return queue


@pluggy_events.on("transactions/updated")
async def on_transactions_updated(database: Database, envelope: EventEnvelope) -> Effect | None:
    """Fetch the changed transactions again and keep their newer versions."""
    event = TransactionsChanged.model_validate(envelope.data)
    current, now = runtime.current(), utcnow()
    lookup = await items.look_up_account(database, current, event.item_id, event.account_id, now)
    if not lookup.may_exist:
        return None
    batches = await service.fetch_transactions(current, event.account_id, event.transaction_ids)

    async def keep(session: AsyncSession) -> None:
        account = await items.find_account(session, current, lookup, now)
        if account is not None:
            await service.keep_refetched(session, current, account, batches, now)

    return keep


@pluggy_events.on("transactions/deleted")
async def on_transactions_deleted(_database: Database, envelope: EventEnvelope) -> Effect:
    """Delete the transactions Pluggy removed."""
    event = TransactionsChanged.model_validate(envelope.data)

    async def delete(session: AsyncSession) -> None:
        await service.delete_transactions(session, event.account_id, event.transaction_ids)

    return delete
