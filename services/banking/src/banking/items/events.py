"""What Pluggy's events alone do to items: item/deleted and consent/revoked believed only once
Pluggy's API confirms them (the webhooks are not signed), and the account a transactions event
names, looked up (its item fetched from Pluggy when that event comes first).

Pluggy is asked with no database transaction open; what it said is kept in a new, short one. The
item and account events keep what they fetch with service.py, shared with the widget's callback
and the overdue-webhook check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import repository as accounts
from banking.accounts.models import BLOCKED, BankAccount
from banking.audit import service as audit
from banking.items import models as states
from banking.items import repository, service
from banking.items.metrics import UNCONFIRMED_DELETIONS
from banking.runtime import Runtime
from finhub_shared.db import Database
from finhub_shared.queries import advisory_lock

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AccountLookup:
    """Whether an account is stored, and if not, its item as Pluggy has it."""

    pluggy_account_id: str
    stored: bool
    item: service.ItemSnapshot | None

    @property
    def may_exist(self) -> bool:
        """Whether the account is, or once the item is kept will be, stored."""
        fetched = self.item.accounts if self.item is not None else None
        return self.stored or any(a.id == self.pluggy_account_id for a in fetched or [])


async def look_up_account(
    database: Database,
    runtime: Runtime,
    pluggy_item_id: str | None,
    pluggy_account_id: str,
    now: datetime,
) -> AccountLookup:
    """Whether the account is stored; if not, its item fetched from Pluggy (a transactions
    event may arrive before the item's own)."""
    async with database.single_read() as session:
        stored = await accounts.by_pluggy_id(session, pluggy_account_id) is not None
    item = None
    if not stored and pluggy_item_id is not None:
        item = await service.fetch_item(database, runtime, pluggy_item_id, now)
    return AccountLookup(pluggy_account_id, stored, item)


async def find_account(
    session: AsyncSession, runtime: Runtime, lookup: AccountLookup, now: datetime, event_id: str
) -> BankAccount | None:
    """The account of an open item, its item and accounts kept first if they were fetched (as
    event `event_id` did); None for an account blocked past the plan's limit (it is not synced)."""
    if lookup.item is not None and not await _is_stored(session, lookup.pluggy_account_id):
        actor = audit.event_actor("pluggy", event_id)
        item = await service.keep_item(
            session, runtime, lookup.item.pluggy_item_id, lookup.item, now, actor=actor
        )
        if item is not None:
            await service.keep_accounts(
                session, runtime, item, lookup.item, now, queue_first_sync=False
            )
    account = await accounts.of_open_item_by_pluggy_id(session, lookup.pluggy_account_id)
    return account if account is not None and account.status != BLOCKED else None


async def _is_stored(session: AsyncSession, pluggy_account_id: str) -> bool:
    return await accounts.by_pluggy_id(session, pluggy_account_id) is not None


async def confirm_item_gone(database: Database, runtime: Runtime, pluggy_item_id: str) -> bool:
    """item/deleted (not signed): whether an open item here is one Pluggy says it no longer has."""
    if not await _is_open_here(database, pluggy_item_id):
        return False
    if await runtime.pluggy.get_item(pluggy_item_id) is None:
        return True
    note_unconfirmed_deletion("item/deleted", pluggy_item_id=pluggy_item_id)
    return False


async def delete_gone_item(session: AsyncSession, pluggy_item_id: str, event_id: str) -> None:
    """Close the item Pluggy confirmed gone (event `event_id`) and delete its bank data."""
    await advisory_lock(session, "item", pluggy_item_id)
    item = await repository.by_pluggy_id(session, pluggy_item_id)
    if item is not None and not item.is_closed:
        actor = audit.event_actor("pluggy", event_id)
        await service.close_item(session, item, states.DELETED, actor=actor)


async def confirm_consent_revoked(
    database: Database, runtime: Runtime, pluggy_item_id: str, now: datetime
) -> bool:
    """consent/revoked (not signed): whether Pluggy lists consents for an open item here and
    none of them is in force (no consent listed confirms nothing)."""
    if not await _is_open_here(database, pluggy_item_id):
        return False
    consents = await runtime.pluggy.list_consents(pluggy_item_id)
    if consents and not any(service.consent_in_force(consent, now) for consent in consents):
        return True
    note_unconfirmed_deletion("consent/revoked", pluggy_item_id=pluggy_item_id)
    return False


async def revoke_confirmed_consent(
    session: AsyncSession, pluggy_item_id: str, event_id: str
) -> None:
    """Revoke the item whose consent Pluggy confirmed gone (event `event_id`)."""
    await advisory_lock(session, "item", pluggy_item_id)
    item = await repository.by_pluggy_id(session, pluggy_item_id)
    if item is not None and not item.is_closed:
        await service.revoke_consent(session, item, actor=audit.event_actor("pluggy", event_id))


def note_unconfirmed_deletion(event_type: str, **ids: str) -> None:
    """A deletion event Pluggy's API contradicts: forged, or overtaken by a newer state."""
    UNCONFIRMED_DELETIONS.labels(event_type).inc()
    log.warning("pluggy_deletion_unconfirmed", deletion_event=event_type, **ids)


async def _is_open_here(database: Database, pluggy_item_id: str) -> bool:
    async with database.transaction() as session:
        item = await repository.by_pluggy_id(session, pluggy_item_id)
    return item is not None and not item.is_closed
