"""Pluggy's item, account and consent events: re-fetch the item from Pluggy, then act."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from banking import runtime
from banking.accounts import repository as accounts
from banking.items import models as states
from banking.items import service
from banking.pluggy.webhooks import ItemEvent
from banking.registries import pluggy_events
from banking.sync import models as jobs
from banking.sync import service as sync
from finhub_shared.events import EventEnvelope, utcnow


@pluggy_events.on(
    "item/created",
    "item/updated",
    "item/login_succeeded",
    "item/error",
    "item/waiting_user_input",
    "item/waiting_user_action",
    "item/deleted",
)
async def on_item_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Keep the item as Pluggy has it now; once it is up to date, sync its accounts."""
    event = ItemEvent.model_validate(envelope.data)
    current = runtime.current()
    item = await service.refresh_from_pluggy(
        session, current, event.item_id, utcnow(), company_hint=envelope.company_id
    )
    if item is None or item.status != states.UPDATED:
        return
    await service.refresh_accounts(session, current, item, queue_first_sync=True)
    if envelope.type == "item/updated":
        for account in (await accounts.of_items(session, [item.id]))[item.id]:
            await sync.queue_sync(session, account, jobs.TRIGGER_WEBHOOK)


@pluggy_events.on("accounts/created", "accounts/updated")
async def on_accounts_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Re-fetch the item's accounts (new ones get their first sync)."""
    event = ItemEvent.model_validate(envelope.data)
    current = runtime.current()
    item = await service.refresh_from_pluggy(
        session, current, event.item_id, utcnow(), company_hint=envelope.company_id
    )
    if item is not None:
        await service.refresh_accounts(session, current, item, queue_first_sync=True)


@pluggy_events.on("consent/revoked")
async def on_consent_revoked(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Stop syncing and delete the item's bank data, unless Pluggy shows a consent in force."""
    event = ItemEvent.model_validate(envelope.data)
    await service.revoke_consent_if_gone(session, runtime.current(), event.item_id, utcnow())
