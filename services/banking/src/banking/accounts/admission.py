"""Which accounts the company's plan covers.

Every account Pluggy brings, by whichever path (the widget's callback, an MFA answer, item and
account webhooks, the overdue-webhook check, a transactions event arriving first), is stored by
`keep_fetched`: a new account is active while the plan's bank-account limit has room, and blocked
past it (kept, but not synced and not counted). The decision is taken with the company's
entitlements row held, so two connections stored at once cannot both take the last place.

Room made later (billing's snapshot with a higher limit, a connection removed) activates the
blocked accounts oldest first, each with its first sync. A downgrade blocks nothing already
active: those accounts keep syncing, and new ones are blocked until the active ones fit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import repository
from banking.accounts.models import ACTIVE, BANK_ACCOUNT_LIMIT_REACHED, BLOCKED, BankAccount
from banking.entitlements import service as entitlements
from banking.entitlements.schemas import Entitlements, TrialTerms
from banking.items.models import Item
from banking.pluggy import payloads as pluggy
from banking.sync import models as jobs
from banking.sync import service as sync

log = structlog.get_logger(__name__)


async def keep_fetched(
    session: AsyncSession,
    item: Item,
    fetched: Sequence[pluggy.Account],
    trial: TrialTerms,
    now: datetime,
    *,
    queue_first_sync: bool,
) -> list[BankAccount]:
    """Store the item's accounts as fetched: known ones refreshed, new ones active within the
    plan's bank-account limit and blocked past it; with `queue_first_sync`, the active ones never
    synced get their first sync."""
    rights = await entitlements.entitlements_for(session, item.company_id, trial, now, lock=True)
    # Accounts blocked before take the room first: they have waited longest.
    room = await _activate_blocked(session, item.company_id, rights)
    kept = []
    for state in fetched:
        if await repository.by_pluggy_id(session, state.id) is not None:
            kept.append(await repository.save_from_pluggy(session, item, state))
            continue
        admitted = room is None or room > 0
        if room is not None and admitted:
            room -= 1
        kept.append(await _store_new(session, item, state, admitted=admitted))
    if queue_first_sync:
        for account in kept:
            if account.status == ACTIVE and account.last_synced_at is None:
                await sync.queue_sync(session, account, jobs.TRIGGER_CONNECTION)
    return kept


async def unblock_within_limit(session: AsyncSession, company_id: uuid.UUID, now: datetime) -> None:
    """Activate blocked accounts, oldest first, as far as the plan has room now (after an
    upgrade); each gets its first sync."""
    rights = await entitlements.held_entitlements(session, company_id, now)
    if rights is not None:
        await _activate_blocked(session, company_id, rights)


async def remove_of_item(session: AsyncSession, item: Item, now: datetime) -> None:
    """Delete the item's accounts (and their transactions); the room they leave goes to blocked
    accounts of the company's other items."""
    rights = await entitlements.held_entitlements(session, item.company_id, now)
    await repository.delete_of_item(session, item.id)
    if rights is not None:
        await _activate_blocked(session, item.company_id, rights)


async def _activate_blocked(
    session: AsyncSession, company_id: uuid.UUID, rights: Entitlements
) -> int | None:
    """Activate blocked accounts, oldest first, into the plan's room, each with its first
    sync; the room left (None: unlimited). The caller holds the company's entitlements."""
    room = _room(rights, await repository.count_active(session, company_id))
    if room == 0:
        return room
    for account in await repository.blocked_oldest_first(session, company_id, room):
        account.status, account.blocked_reason = ACTIVE, None
        await sync.queue_sync(session, account, jobs.TRIGGER_CONNECTION)
        log.info("bank_account_unblocked", account_id=str(account.id))
        if room is not None:
            room -= 1
    return room


async def _store_new(
    session: AsyncSession, item: Item, state: pluggy.Account, *, admitted: bool
) -> BankAccount:
    if admitted:
        return await repository.save_from_pluggy(session, item, state)
    account = await repository.save_from_pluggy(
        session, item, state, status=BLOCKED, blocked_reason=BANK_ACCOUNT_LIMIT_REACHED
    )
    log.info("bank_account_blocked", account_id=str(account.id), reason=BANK_ACCOUNT_LIMIT_REACHED)
    return account


def _room(rights: Entitlements, active: int) -> int | None:
    """How many more accounts the plan covers; None when it has no limit."""
    limit = rights.bank_accounts_limit
    return None if limit is None else max(limit - active, 0)
