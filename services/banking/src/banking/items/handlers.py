"""Pluggy's item, account and consent events: re-fetch the item from Pluggy, then act.

Each handler calls Pluggy with no transaction open and returns what to store
(finhub_shared.inbox.fetching_dispatcher).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking.items import service
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
    "item/deleted",
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
            session, runtime, event.item_id, snapshot, now, company_hint=envelope.company_id
        )
        if item is not None and snapshot is not None:
            await service.keep_accounts(session, item, snapshot, queue_first_sync=True)

    return keep


@pluggy_events.on("consent/revoked")
async def on_consent_revoked(runtime: Runtime, envelope: EventEnvelope) -> Effect | None:
    """Stop syncing and delete the item's bank data, unless Pluggy shows a consent in force."""
    event = ItemEvent.model_validate(envelope.data)
    consents = await service.fetch_consents(runtime.database, runtime, event.item_id)
    if consents is None:
        return None
    now = utcnow()

    async def keep(session: AsyncSession) -> None:
        await service.revoke_consent_if_gone(session, event.item_id, consents, now)

    return keep
