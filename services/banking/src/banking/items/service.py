"""Connections to banks: connect tokens, the widget's callback, MFA, removal, Pluggy's state.

Pluggy is the source of truth: every change starts by fetching the item from Pluggy, and a
state older than the one stored (events arrive out of order) is ignored. No database
transaction is open while Pluggy is called: what is needed is read in a short transaction,
Pluggy's answer gathered in an `ItemSnapshot`, and the caller keeps it in a new transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.accounts import admission
from banking.accounts import repository as accounts
from banking.accounts import service as account_views
from banking.accounts.models import BLOCKED
from banking.accounts.schemas import AccountRead
from banking.audit import repository as audited
from banking.audit import service as audit
from banking.connectors import repository as connectors
from banking.connectors.models import Connector
from banking.connectors.schemas import ConnectorRead
from banking.entitlements import service as entitlements
from banking.items import live, metrics, partial, repository, retries
from banking.items import models as states
from banking.items.errors import ItemClosed, ItemNotFound, MfaExpired, MfaNotPending
from banking.items.models import Item
from banking.items.next_action import next_action
from banking.items.schemas import (
    AccountNamed,
    ConnectTokenRead,
    ItemRead,
    MfaOption,
    MfaPrompt,
    NextActionRead,
    ProductIssueRead,
    ProductWarningRead,
)
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime
from banking.sync import models as jobs
from banking.sync import service as sync
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError
from finhub_shared.events import utcnow
from finhub_shared.queries import advisory_lock

log = structlog.get_logger(__name__)

# Pluggy's connect tokens live 30 minutes.
CONNECT_TOKEN_LIFETIME = timedelta(minutes=30)
# Pluggy's execution statuses while it is still logging in.
_LOGIN_PHASES = frozenset({"CREATING", "LOGIN_IN_PROGRESS", "LOGIN_MFA_IN_PROGRESS"})
# Items asked of Pluggy per run of the overdue-webhook check, so one run stays short.
RECONCILE_BATCH = 50
# OUTDATED items Pluggy is asked to update per run of the retry job, for the same reason.
RETRY_BATCH = 50
# What the audit log calls the closing of an item, by the status it closes with.
CLOSED_ACTIONS = {
    states.DELETED: "connection.removed",
    states.CONSENT_REVOKED: "connection.consent_revoked",
}


async def create_connect_token(
    database: Database,
    runtime: Runtime,
    principal: Principal,
    item_id: uuid.UUID | None,
    now: datetime,
) -> ConnectTokenRead:
    """A token for Pluggy's widget: a new connection within the plan, or an update of `item_id`."""
    # Rolled back when the block ends: a token is only asked for, nothing is stored.
    async with database.sessions() as session:
        pluggy_item_id = await _item_to_connect(session, runtime, principal, item_id, now)
    try:
        token = await runtime.pluggy.create_connect_token(str(principal.company_id), pluggy_item_id)
    except ProviderError as failure:
        if failure.extra.get("provider_code") == "ITEM_NOT_FOUND":
            raise ItemNotFound("Pluggy no longer knows this connection.") from None
        raise
    if item_id is None:
        # Issued: a company never heard of has started its trial (idempotent).
        async with database.transaction() as session:
            await entitlements.entitlements_for(
                session, principal.company_id, runtime.trial_terms, now
            )
    return ConnectTokenRead(connect_token=token, expires_at=now + CONNECT_TOKEN_LIFETIME)


async def _item_to_connect(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    item_id: uuid.UUID | None,
    now: datetime,
) -> str | None:
    """The Pluggy id of the item to update, or None for a new connection the plan allows."""
    if item_id is not None:
        item = await repository.get_for(session, principal, item_id)
        if item.status == states.DELETED:
            raise ItemClosed("This connection was removed; connect the bank again instead.")
        return item.pluggy_item_id
    rights = await entitlements.entitlements_for(
        session, principal.company_id, runtime.trial_terms, now
    )
    current = await accounts.count_active(session, principal.company_id)
    entitlements.ensure_bank_account_allowed(rights, current)
    return None


async def fetch_connection(
    database: Database, runtime: Runtime, principal: Principal, pluggy_item_id: str, now: datetime
) -> ItemSnapshot:
    """The widget finished: the item as Pluggy has it, if it may be the caller's."""
    state = await runtime.pluggy.get_item(pluggy_item_id)
    if state is None or not _may_belong_to(state, principal.company_id):
        raise ItemNotFound("Pluggy knows no such item.")
    return await _snapshot(database, runtime, state, now, check_consent=False)


async def complete_connection(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    snapshot: ItemSnapshot,
    now: datetime,
) -> ItemRead:
    """Store the fetched item, its connector and accounts; queue the first sync."""
    assert snapshot.state is not None
    await advisory_lock(session, "item", snapshot.pluggy_item_id)
    item = await repository.by_pluggy_id(session, snapshot.pluggy_item_id)
    if item is not None and item.company_id != principal.company_id:
        raise ItemNotFound("Pluggy knows no such item.")
    actor, revoked = audit.user_actor(principal.user_id), None
    if item is not None and item.status == states.CONSENT_REVOKED:
        # The user connected again: a new consent replaces the revoked one (its state is kept
        # whatever its age).
        item.pluggy_updated_at = None
        revoked = _audited(item)
    item = await store_item_state(
        session, runtime, item, snapshot, principal.company_id, now, actor=actor
    )
    if revoked is not None:
        await audit.record(
            session,
            item.company_id,
            actor=actor,
            action="connection.reconnected",
            before=revoked,
            after=_audited(item),
        )
    await keep_accounts(session, runtime, item, snapshot, now, queue_first_sync=True)
    return (await describe(session, runtime, [item], now))[0]


async def list_items(
    session: AsyncSession, runtime: Runtime, principal: Principal, now: datetime
) -> list[ItemRead]:
    """The caller's connections with their accounts and what to do next."""
    return await describe(session, runtime, await repository.list_for(session, principal), now)


async def get_item(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    item_id: uuid.UUID,
    now: datetime,
) -> ItemRead:
    """One of the caller's connections."""
    item = await repository.get_for(session, principal, item_id)
    return (await describe(session, runtime, [item], now))[0]


async def delete_item(
    database: Database, runtime: Runtime, principal: Principal, item_id: uuid.UUID
) -> None:
    """Remove the connection at Pluggy (revoking its consent), then its data here."""
    async with database.transaction() as session:
        item = await repository.get_for(session, principal, item_id)
    if item.status == states.DELETED:
        return
    await runtime.pluggy.delete_item(item.pluggy_item_id)
    async with database.transaction() as session:
        item = await repository.get_for(session, principal, item_id)
        await close_item(session, item, states.DELETED, actor=audit.user_actor(principal.user_id))


async def answer_mfa(
    database: Database,
    runtime: Runtime,
    principal: Principal,
    item_id: uuid.UUID,
    parameters: Mapping[str, str],
    now: datetime,
) -> ItemSnapshot:
    """Send the user's MFA answer to Pluggy (never stored nor logged); the item it left."""
    async with database.transaction() as session:
        item = await repository.get_for(session, principal, item_id)
    if item.status != states.WAITING_USER_INPUT:
        raise MfaNotPending("This connection is not waiting for an MFA answer.")
    if item.mfa_expires_at is not None and item.mfa_expires_at <= now:
        raise MfaExpired(
            "The time to answer has run out; reconnect to get a new code.",
            next_action="reconnect",
        )
    state = await runtime.pluggy.send_mfa(item.pluggy_item_id, parameters)
    if state is None:
        raise ItemNotFound("Pluggy no longer knows this connection.")
    return await _snapshot(database, runtime, state, now, check_consent=False)


async def keep_mfa_outcome(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    item_id: uuid.UUID,
    snapshot: ItemSnapshot,
    now: datetime,
) -> ItemRead:
    """Store the item as the MFA answer left it, with its accounts once it is updated."""
    item = await repository.get_for(session, principal, item_id)
    item = await store_item_state(
        session,
        runtime,
        item,
        snapshot,
        item.company_id,
        now,
        actor=audit.user_actor(principal.user_id),
    )
    await keep_accounts(session, runtime, item, snapshot, now, queue_first_sync=True)
    return (await describe(session, runtime, [item], now))[0]


@dataclass(frozen=True)
class ItemSnapshot:
    """What Pluggy says of an item now, fetched with no database transaction open."""

    pluggy_item_id: str
    # None: Pluggy no longer knows the item.
    state: pluggy.Item | None
    # The item's connector with its health, when it is not stored yet.
    new_connector: pluggy.Connector | None = None
    consent_gone: bool = False
    # Fetched once the item is updated.
    accounts: list[pluggy.Account] | None = None


async def fetch_item(
    database: Database, runtime: Runtime, pluggy_item_id: str, now: datetime
) -> ItemSnapshot | None:
    """The item as Pluggy has it now (webhooks); None when the stored one is closed."""
    async with database.transaction() as session:
        stored = await repository.by_pluggy_id(session, pluggy_item_id)
    if stored is not None and stored.is_closed:
        return None
    state = await runtime.pluggy.get_item(pluggy_item_id)
    if state is None:
        return ItemSnapshot(pluggy_item_id, None)
    return await _snapshot(database, runtime, state, now, check_consent=True)


async def _snapshot(
    database: Database, runtime: Runtime, state: pluggy.Item, now: datetime, *, check_consent: bool
) -> ItemSnapshot:
    """Around the item's state: its new connector, its consents, its accounts once updated."""
    new_connector = await _new_connector(database, runtime, state)
    consent_gone = check_consent and await consent_is_gone(runtime, state, now)
    updated = _product_status(state) == states.UPDATED
    fetched = await runtime.pluggy.list_accounts(state.id) if updated else None
    return ItemSnapshot(state.id, state, new_connector, consent_gone, fetched)


async def _new_connector(
    database: Database, runtime: Runtime, state: pluggy.Item
) -> pluggy.Connector | None:
    """The item's connector fetched from Pluggy (with its health), when it is not stored yet."""
    if state.connector is None:
        raise ProviderError("pluggy answered an item without its connector", provider="pluggy")
    async with database.transaction() as session:
        known = await connectors.get(session, state.connector.id)
    if known is not None:
        return None
    return await runtime.pluggy.get_connector(state.connector.id) or state.connector


async def keep_item(
    session: AsyncSession,
    runtime: Runtime,
    pluggy_item_id: str,
    snapshot: ItemSnapshot | None,
    now: datetime,
    *,
    company_hint: uuid.UUID | None = None,
    actor: str,
) -> Item | None:
    """Bring the stored item to the fetched state (webhooks); None when it is not ours."""
    await advisory_lock(session, "item", pluggy_item_id)
    item = await repository.by_pluggy_id(session, pluggy_item_id)
    if snapshot is None or (item is not None and item.is_closed):
        return item
    state = snapshot.state
    if state is None:
        if item is not None:
            await close_item(session, item, states.DELETED, actor=actor)
        return item
    company_id = item.company_id if item is not None else _company_of(state, company_hint)
    if company_id is None:
        log.warning("pluggy_item_of_unknown_company", pluggy_item_id=pluggy_item_id)
        return None
    item = await store_item_state(session, runtime, item, snapshot, company_id, now, actor=actor)
    if snapshot.consent_gone:
        await revoke_consent(session, item, actor=actor)
    return item


async def keep_item_and_accounts(
    session: AsyncSession,
    runtime: Runtime,
    pluggy_item_id: str,
    snapshot: ItemSnapshot | None,
    now: datetime,
    *,
    company_hint: uuid.UUID | None = None,
    sync_trigger: str | None = None,
    actor: str,
) -> Item | None:
    """Keep the fetched item and, once it is updated, its accounts (new ones get their first
    sync); with `sync_trigger`, Pluggy has new data: every account is synced."""
    item = await keep_item(
        session, runtime, pluggy_item_id, snapshot, now, company_hint=company_hint, actor=actor
    )
    if item is None or item.status != states.UPDATED or snapshot is None:
        return item
    await keep_accounts(session, runtime, item, snapshot, now, queue_first_sync=True)
    if sync_trigger is not None:
        for account in (await accounts.of_items(session, [item.id]))[item.id]:
            if account.status != BLOCKED:
                await sync.queue_sync(session, account, sync_trigger)
    return item


@dataclass(frozen=True)
class Reconciliation:
    """What one run of the overdue-webhook check did."""

    checked: int
    failed: int


async def reconcile_unheard(database: Database, runtime: Runtime, now: datetime) -> Reconciliation:
    """Items in progress we have heard nothing of for a while (their webhook may be lost) are
    fetched from Pluggy and kept as the item webhook keeps them; one failing leaves the rest."""
    quiet_since = now - timedelta(seconds=runtime.settings.item_webhook_overdue_seconds)
    async with database.transaction() as session:
        due = await repository.claim_unheard_in_progress(session, quiet_since, RECONCILE_BATCH, now)
    failed = 0
    for pluggy_item_id in due:
        try:
            snapshot = await fetch_item(database, runtime, pluggy_item_id, now)
        except ProviderError as failure:
            # Checked all the same: it is asked again once the overdue delay has passed anew.
            log.warning("item_reconcile_failed", pluggy_item_id=pluggy_item_id, error=failure.code)
            failed += 1
            continue
        async with database.transaction() as session:
            await keep_item_and_accounts(
                session,
                runtime,
                pluggy_item_id,
                snapshot,
                now,
                sync_trigger=jobs.TRIGGER_RECONCILE,
                actor=audit.job_actor("reconcile-unheard-items"),
            )
    return Reconciliation(checked=len(due), failed=failed)


@dataclass(frozen=True)
class OutdatedRetries:
    """What one run of the OUTDATED items' retry did."""

    asked: int
    failed: int


async def retry_outdated(database: Database, runtime: Runtime, now: datetime) -> OutdatedRetries:
    """OUTDATED items whose retry is due are updated again at Pluggy, each counted first and its
    next retry moved on (a failure waits for it); the state Pluggy answers is kept as a webhook's
    would be, and Pluggy no longer knowing an item deletes it."""
    async with database.transaction() as session:
        due = await repository.claim_outdated_due(session, now, RETRY_BATCH)
        for item in due:
            retries.count_retry(item, runtime.settings, now)
        claimed = [item.pluggy_item_id for item in due]
    failed = 0
    for pluggy_item_id in claimed:
        try:
            state = await runtime.pluggy.update_item(pluggy_item_id)
        except ProviderError as failure:
            log.warning(
                "outdated_item_retry_failed", pluggy_item_id=pluggy_item_id, error=failure.code
            )
            metrics.OUTDATED_RETRIES.labels(outcome="failed").inc()
            failed += 1
            async with database.transaction() as session:
                await _tell_next_retry(session, pluggy_item_id, now)
            continue
        metrics.OUTDATED_RETRIES.labels(outcome="updating" if state else "gone").inc()
        async with database.transaction() as session:
            await keep_item(
                session,
                runtime,
                pluggy_item_id,
                ItemSnapshot(pluggy_item_id, state),
                now,
                actor=audit.job_actor("retry-outdated-items"),
            )
    return OutdatedRetries(asked=len(claimed), failed=failed)


async def _tell_next_retry(session: AsyncSession, pluggy_item_id: str, now: datetime) -> None:
    """A retry failed: the live stream's next action, which named its time, now names the next
    one (the status is unchanged, so nothing else would say it)."""
    item = await repository.by_pluggy_id(session, pluggy_item_id)
    if item is not None and item.status == states.OUTDATED:
        await live.status_changed(session, item, now)


async def store_item_state(
    session: AsyncSession,
    runtime: Runtime,
    item: Item | None,
    snapshot: ItemSnapshot,
    company_id: uuid.UUID,
    now: datetime,
    *,
    actor: str,
) -> Item:
    """Keep Pluggy's state of the item, unless the stored one is newer."""
    state = snapshot.state
    assert state is not None
    before, had_prompt = live.seen(item), item is not None and item.mfa_prompt_encrypted is not None
    if item is None:
        connector = await ensure_connector(session, state, snapshot.new_connector, now)
        item = Item(
            company_id=company_id,
            pluggy_item_id=state.id,
            connector_id=connector.id,
            status=state.status,
            execution_status=state.execution_status,
            outdated_retries=0,
        )
        session.add(item)
    elif _is_older(state, item):
        log.info("pluggy_item_state_outdated", item_id=str(item.id))
        return item
    new_prompt = _copy_state(item, state, runtime, now)
    await session.flush()
    if before is None:
        await audit.record(
            session, company_id, actor=actor, action="connection.created", after=_audited(item)
        )
    await live.state_kept(
        session, item, before, new_prompt=new_prompt, had_prompt=had_prompt, now=now
    )
    return item


async def keep_accounts(
    session: AsyncSession,
    runtime: Runtime,
    item: Item,
    snapshot: ItemSnapshot,
    now: datetime,
    *,
    queue_first_sync: bool,
) -> None:
    """Store the item's accounts as fetched, those past the plan's limit blocked; queue a sync
    of the active ones never synced."""
    if item.status != states.UPDATED or snapshot.accounts is None:
        return
    await admission.keep_fetched(
        session,
        item,
        snapshot.accounts,
        runtime.trial_terms,
        now,
        queue_first_sync=queue_first_sync,
    )


async def ensure_connector(
    session: AsyncSession,
    state: pluggy.Item,
    fetched: pluggy.Connector | None,
    now: datetime,
) -> Connector:
    """The item's connector, stored as fetched (with its health) the first time it is seen."""
    assert state.connector is not None
    known = await connectors.get(session, state.connector.id)
    if known is not None:
        return known
    return await connectors.save(session, fetched or state.connector, reported_at=now)


async def consent_is_gone(runtime: Runtime, state: pluggy.Item, now: datetime) -> bool:
    """Whether the item's Open Finance consent expired or was revoked at the bank."""
    if state.consent_expires_at is not None and state.consent_expires_at <= now:
        return True
    connector = state.connector
    open_finance = connector is not None and bool(connector.is_open_finance)
    # Other connectors have consents too; their revocation shows as this execution status.
    if not open_finance and state.execution_status != "USER_AUTHORIZATION_NOT_GRANTED":
        return False
    consents = await runtime.pluggy.list_consents(state.id)
    return bool(consents) and not any(consent_in_force(consent, now) for consent in consents)


async def revoke_consent(session: AsyncSession, item: Item, *, actor: str) -> None:
    """Consent is gone: stop syncing, delete the bank data it covered, tell the company."""
    if item.status == states.CONSENT_REVOKED:
        return
    await close_item(session, item, states.CONSENT_REVOKED, actor=actor)
    await publishing.notify_company(
        session,
        item.company_id,
        "consent_revoked",
        "The consent to read one of your bank connections was revoked; its data was deleted. "
        "Connect the bank again to resume.",
        item_id=str(item.id),
    )
    log.info("item_consent_revoked", item_id=str(item.id))


async def close_item(session: AsyncSession, item: Item, status: str, *, actor: str) -> None:
    """Deleted or consent revoked: forget the MFA prompt and delete the accounts' data (both
    audited)."""
    changed, before = item.status != status, _audited(item)
    data = await audited.data_of_item(session, item.id)
    item.status = status
    item.mfa_prompt_encrypted = None
    item.mfa_expires_at = None
    item.user_action_instructions = None
    retries.stop(item)
    now = utcnow()
    await admission.remove_of_item(session, item, now)
    await session.flush()
    if changed:
        await live.status_changed(session, item, now)
        await audit.record(
            session,
            item.company_id,
            actor=actor,
            action=CLOSED_ACTIONS[status],
            before=before,
            after=_audited(item),
        )
    if data["account_ids"]:
        await audit.record(session, item.company_id, actor=actor, action="data.deleted", after=data)


async def wipe_expired_mfa(session: AsyncSession, now: datetime) -> int:
    """Forget the MFA prompts whose window has closed (a periodic job); returns how many."""
    expired = await repository.with_expired_mfa_prompts(session, now)
    for item in expired:
        before = live.seen(item)
        item.mfa_prompt_encrypted, item.execution_status = None, states.USER_INPUT_TIMEOUT
        await session.flush()
        await live.mfa_expired(session, item)
        if live.seen(item) != before:
            await live.status_changed(session, item, now)
    return len(expired)


async def describe(
    session: AsyncSession, runtime: Runtime, items: Sequence[Item], now: datetime
) -> list[ItemRead]:
    """The API view of these items, with their connector, accounts and next action."""
    connectors_by_id = await connectors.by_ids(session, {item.connector_id for item in items})
    accounts_by_item = await account_views.read_by_item(
        session, await accounts.of_items(session, [item.id for item in items])
    )
    return [
        ItemRead(
            id=item.id,
            pluggy_item_id=item.pluggy_item_id,
            connector=ConnectorRead.model_validate(connectors_by_id[item.connector_id]),
            status=item.status,
            execution_status=item.execution_status,
            error_code=item.error_code,
            error_message=item.error_message,
            last_updated_at=item.last_updated_at,
            consent_expires_at=item.consent_expires_at,
            mfa=_mfa_prompt(runtime, item, now),
            next_action=NextActionRead.model_validate(next_action(item, now), from_attributes=True),
            product_issues=_product_issues(item, accounts_by_item[item.id]),
            accounts=accounts_by_item[item.id],
            created_at=item.created_at,
        )
        for item in items
    ]


def _product_issues(item: Item, accounts: Sequence[AccountRead]) -> list[ProductIssueRead]:
    """What the item's last update left out, with the accounts each product covers."""
    return [
        ProductIssueRead(
            product=issue.product,
            name=issue.name,
            updated=issue.updated,
            last_updated_at=issue.last_updated_at,
            accounts=[
                AccountNamed(id=account.id, name=account.name)
                for account in accounts
                if issue.covers(account.type)
            ],
            warnings=[
                ProductWarningRead(
                    code=w.code, message=w.message, provider_message=w.provider_message
                )
                for w in issue.warnings
            ],
        )
        for issue in partial.read(item.product_issues)
    ]


def _copy_state(
    item: Item, state: pluggy.Item, runtime: Runtime, now: datetime
) -> pluggy.ItemParameter | None:
    """Copy Pluggy's state onto the item; the MFA prompt it now waits on, if that is new."""
    status = _product_status(state)
    waiting_for_mfa = status == states.WAITING_USER_INPUT and state.parameter is not None
    new_prompt = None
    if waiting_for_mfa and state.parameter is not None:
        if _keep_mfa_prompt(item, state.parameter, runtime, now):
            new_prompt = state.parameter
    else:
        item.mfa_prompt_encrypted, item.mfa_expires_at = None, None
    item.status = status
    item.execution_status = state.execution_status
    item.error_code = state.error.code if state.error else None
    item.error_message = state.error.message if state.error else None
    item.user_action_instructions = state.user_action.instructions if state.user_action else None
    item.last_updated_at = state.last_updated_at
    item.consent_expires_at = state.consent_expires_at
    item.pluggy_updated_at = state.updated_at
    item.product_issues = partial.issues_of(state.status_detail)
    retries.follow_status(item, runtime.settings, now)
    return new_prompt


def _keep_mfa_prompt(
    item: Item, prompt: pluggy.ItemParameter, runtime: Runtime, now: datetime
) -> bool:
    """Store the prompt encrypted; a new prompt opens a new answering window (True)."""
    stored = (
        runtime.mfa_cipher.decrypt(item.mfa_prompt_encrypted) if item.mfa_prompt_encrypted else None
    )
    new = stored != prompt or item.mfa_expires_at is None
    if new:
        window_end = now + timedelta(seconds=runtime.settings.mfa_window_seconds)
        item.mfa_expires_at = min(window_end, prompt.expires_at or window_end)
    item.mfa_prompt_encrypted = runtime.mfa_cipher.encrypt(prompt)
    return new


def _mfa_prompt(runtime: Runtime, item: Item, now: datetime) -> MfaPrompt | None:
    if item.mfa_prompt_encrypted is None or item.status != states.WAITING_USER_INPUT:
        return None
    if item.mfa_expires_at is not None and item.mfa_expires_at <= now:
        return None
    prompt = runtime.mfa_cipher.decrypt(item.mfa_prompt_encrypted)
    if prompt is None:
        return None
    return MfaPrompt(
        name=prompt.name,
        label=prompt.label,
        type=prompt.type,
        assistive_text=prompt.assistive_text,
        placeholder=prompt.placeholder,
        data=prompt.data,
        options=[MfaOption(value=o.value, label=o.label) for o in prompt.options or []] or None,
        expires_at=item.mfa_expires_at,
    )


def consent_in_force(consent: pluggy.Consent, now: datetime) -> bool:
    """Whether the consent is neither revoked nor expired."""
    return consent.revoked_at is None and (consent.expires_at is None or consent.expires_at > now)


def _product_status(state: pluggy.Item) -> str:
    """Pluggy's status, with the product's own names for a log-in in progress or a failed one."""
    if state.status == states.UPDATING and state.execution_status in _LOGIN_PHASES:
        return states.LOGIN_IN_PROGRESS
    if state.execution_status == "CREATE_ERROR":
        return states.ERROR
    return state.status


def _audited(item: Item) -> dict[str, str | None]:
    """The item as the audit log records it."""
    return {"item_id": str(item.id), "connector_id": str(item.connector_id), "status": item.status}


def _is_older(state: pluggy.Item, item: Item) -> bool:
    stored = item.pluggy_updated_at
    return stored is not None and state.updated_at is not None and state.updated_at < stored


def _may_belong_to(state: pluggy.Item, company_id: uuid.UUID) -> bool:
    """False when Pluggy says the item was connected for another company."""
    return state.client_user_id is None or state.client_user_id == str(company_id)


def _company_of(state: pluggy.Item, hint: uuid.UUID | None) -> uuid.UUID | None:
    """The company an item we have not stored yet belongs to: its clientUserId (our company id)."""
    try:
        return uuid.UUID(state.client_user_id) if state.client_user_id else hint
    except ValueError:
        return hint
