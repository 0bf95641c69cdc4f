"""Sync jobs from banking's own work queue, and Pluggy's transactions/created and /updated."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.items import events as item_events
from banking.pluggy.webhooks import TransactionsChanged, TransactionsCreated
from banking.registries import pluggy_events
from banking.runtime import Runtime
from banking.sync import events, service
from banking.sync import models as jobs
from finhub_shared.bus import MessageHandler
from finhub_shared.events import EventEnvelope, utcnow
from finhub_shared.inbox import Effect

log = structlog.get_logger(__name__)


def sync_job_runner(runtime: Runtime) -> MessageHandler:
    """`banking.sync-jobs`' handler. It commits as it goes (no transaction may span Pluggy's
    calls), so it needs no inbox: the job's status makes a redelivery do nothing."""

    async def run_requested_job(envelope: EventEnvelope) -> None:
        # A queue declared before its binding narrowed to sync.requested still takes sync.*.
        if envelope.type != service.SYNC_REQUESTED:
            log.info("event_ignored")
            return
        job_id = uuid.UUID(envelope.data["job_id"])
        await service.run_job(runtime.database, runtime, job_id, utcnow)

    return run_requested_job


@pluggy_events.on("transactions/created")
async def on_transactions_created(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Queue an incremental sync of the account from the first new transaction."""
    event = TransactionsCreated.model_validate(envelope.data)
    now = utcnow()
    lookup = await item_events.look_up_account(
        runtime.database, runtime, event.item_id, event.account_id, now
    )
    if not lookup.may_exist:
        return None

    async def queue(session: AsyncSession) -> None:
        account = await item_events.find_account(session, runtime, lookup, now, envelope.id)
        if account is not None:
            await service.queue_sync(
                session,
                account,
                jobs.TRIGGER_WEBHOOK,
                created_at_from=event.transactions_created_at_from,
            )

    return queue


@pluggy_events.on("transactions/updated")
async def on_transactions_updated(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Fetch the changed transactions again and keep their newer versions."""
    event = TransactionsChanged.model_validate(envelope.data)
    now = utcnow()
    lookup = await item_events.look_up_account(
        runtime.database, runtime, event.item_id, event.account_id, now
    )
    if not lookup.may_exist:
        return None
    batches = await events.fetch_transactions(runtime, event.account_id, event.transaction_ids)

    async def keep(session: AsyncSession) -> None:
        account = await item_events.find_account(session, runtime, lookup, now, envelope.id)
        if account is not None:
            await events.keep_refetched(session, runtime, account, batches, now)

    return keep
