"""Pluggy's item, account and consent events: re-fetch the item from Pluggy, then act.

Each handler calls Pluggy with no transaction open and returns what to store
(finhub_shared.inbox.fetching_dispatcher). Pluggy's webhooks are not signed, so an event that
deletes data acts only once Pluggy's API confirms it; while Pluggy cannot be asked, the handler
fails and the event is retried.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.audit import service as audit
from banking.items import events, service
from banking.pluggy.webhooks import ItemEvent
from banking.registries import pluggy_events
from banking.runtime import Runtime
from banking.sync import models as jobs
from finhub_shared.events import EventEnvelope, utcnow
from finhub_shared.inbox import Effect


@pluggy_events.on(
    "item/created",
    "item/updated",
    "item/login_succeeded",
    "item/error",
    "item/waiting_user_input",
    "item/waiting_user_action",
)
async def on_item_changed(runtime: Runtime, envelope: EventEnvelope) -> Effect:
    """Keep the item as Pluggy has it now; once it is up to date, sync its accounts."""
    event = ItemEvent.model_validate(envelope.data)
    now = utcnow()
    snapshot = await service.fetch_item(runtime.database, runtime, event.item_id, now)

    # item/updated: Pluggy read the bank again, so every account has new data to sync.
    sync_trigger = jobs.TRIGGER_WEBHOOK if envelope.type == "item/updated" else None

    async def keep(session: AsyncSession) -> None:
        await service.keep_item_and_accounts(
            session,
            runtime,
            event.item_id,
            snapshot,
            now,
            company_hint=envelope.company_id,
            sync_trigger=sync_trigger,
            actor=audit.event_actor("pluggy", envelope.id),
        )

    return keep


@pluggy_events.on("accounts/created", "accounts/updated")
async def on_accounts_changed(runtime: Runtime, envelope: EventEnvelope) -> Effect:
    """Re-fetch the item's accounts (new ones get their first sync)."""
    event = ItemEvent.model_validate(envelope.data)
    now = utcnow()
    snapshot = await service.fetch_item(runtime.database, runtime, event.item_id, now)

    async def keep(session: AsyncSession) -> None:
        item = await service.keep_item(
            session,
            runtime,
            event.item_id,
            snapshot,
            now,
            company_hint=envelope.company_id,
            actor=audit.event_actor("pluggy", envelope.id),
        )
        if item is not None and snapshot is not None:
            await service.keep_accounts(
                session, runtime, item, snapshot, now, queue_first_sync=True
            )

    return keep


@pluggy_events.on("item/deleted")
async def on_item_deleted(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Delete the item's bank data once Pluggy answers that it has no such item any more."""
    event = ItemEvent.model_validate(envelope.data)
    if not await events.confirm_item_gone(runtime.database, runtime, event.item_id):
        return None

    async def delete(session: AsyncSession) -> None:
        await events.delete_gone_item(session, event.item_id, envelope.id)

    return delete


@pluggy_events.on("consent/revoked")
async def on_consent_revoked(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Stop syncing and delete the item's bank data once Pluggy lists its consents, none in
    force."""
    event = ItemEvent.model_validate(envelope.data)
    if not await events.confirm_consent_revoked(runtime.database, runtime, event.item_id, utcnow()):
        return None

    async def revoke(session: AsyncSession) -> None:
        await events.revoke_confirmed_consent(session, event.item_id, envelope.id)

    return revoke
