"""Syncing an account's transactions from Pluggy: queued as jobs, incremental, page by page.

A sync follows `GET /v2/transactions` from where the last one stopped (Pluggy's createdAtFrom)
to the end of the cursor and upserts each page as it arrives, so memory stays flat however many
pages there are, and running it again never duplicates a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking import events
from banking.accounts import repository as accounts
from banking.accounts.models import BankAccount
from banking.categories import repository as categories
from banking.categories.matching import Categorizer
from banking.connectors import repository as connectors
from banking.entitlements import service as entitlements
from banking.items import models as item_states
from banking.items import repository as items
from banking.items.models import Item
from banking.locks import lock
from banking.money import to_cents
from banking.pluggy import PluggyClient
from banking.pluggy import models as pluggy
from banking.runtime import Runtime
from banking.sync import metrics, repository
from banking.sync import models as jobs
from banking.sync.errors import MfaRequired, ReconnectRequired
from banking.sync.models import SyncJob
from banking.transactions import repository as transactions
from banking.transactions.models import (
    CATEGORY_FROM_PLUGGY,
    CATEGORY_FROM_RULE,
    CREDIT,
    DEBIT,
)
from banking.usage import service as usage
from finhub_shared.auth import Principal
from finhub_shared.errors import ProviderError, ProviderUnavailable

log = structlog.get_logger(__name__)

PageT = TypeVar("PageT")

SYNC_REQUESTED = "sync.requested"
# Each sync re-reads the hour before the newest transaction it saw last time: Pluggy does not
# promise that one execution stores its transactions in createdAt order. Upserts absorb it.
OVERLAP = timedelta(hours=1)
# Pages fetched ahead of the one being stored (Pluggy's pages are about 500 KB each).
READ_AHEAD_PAGES = 2


@dataclass
class SyncResult:
    """What one sync changed."""

    created: int = 0
    updated: int = 0
    over_limit: int = 0
    months: set[date] = field(default_factory=set)
    newest_created_at: datetime | None = None


async def request_account_sync(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    account_id: uuid.UUID,
    *,
    broker_reachable: bool,
    now: datetime,
) -> SyncJob:
    """Queue a sync of the caller's account; run it right here when the broker is down."""
    account = await accounts.get_for(session, principal, account_id)
    item = await items.get(session, account.item_id)
    assert item is not None
    ensure_syncable(item)
    if broker_reachable:
        return await queue_sync(session, account, jobs.TRIGGER_MANUAL)
    log.warning("sync_running_in_request", reason="broker_unreachable")
    job = await new_job(session, account, jobs.TRIGGER_MANUAL)
    await run_job(session, runtime, job.id, now)
    return job


def ensure_syncable(item: Item) -> None:
    """Raise the 409 that tells the user what to do first, if the item cannot sync now."""
    if item.status == item_states.WAITING_USER_INPUT:
        raise MfaRequired("The bank is waiting for your MFA code; answer it first.")
    if item.status in (item_states.LOGIN_ERROR, *item_states.CLOSED_STATUSES):
        raise ReconnectRequired("The connection to the bank must be renewed; reconnect first.")


async def queue_sync(
    session: AsyncSession,
    account: BankAccount,
    trigger: str,
    *,
    created_at_from: datetime | None = None,
) -> SyncJob:
    """A job for the account on banking's work queue; one already waiting is reused."""
    await lock(session, "sync-queue", str(account.id))
    waiting = await repository.waiting_job(session, account.id)
    if waiting is not None:
        waiting.created_at_from = _earlier(waiting.created_at_from, created_at_from)
        return waiting
    job = await new_job(session, account, trigger, created_at_from=created_at_from)
    await _publish_job(session, job)
    return job


async def requeue_postponed(session: AsyncSession, now: datetime) -> int:
    """Put postponed jobs whose wait is over back on the queue; returns how many."""
    due = await repository.due_postponed(session, now)
    for job in due:
        job.status = jobs.QUEUED
        job.retry_at = None
        await _publish_job(session, job)
    return len(due)


async def run_job(
    session: AsyncSession, runtime: Runtime, job_id: uuid.UUID, now: datetime
) -> SyncJob | None:
    """Run a queued job once; a job already done (a redelivery) is left as it is."""
    job = await repository.get_locked(session, job_id)
    if job is None or job.status not in jobs.PENDING_STATUSES:
        return job
    account = await accounts.get(session, job.account_id, lock=True)
    item = await items.get(session, account.item_id) if account else None
    if account is None or item is None:
        return _finish(job, jobs.SKIPPED, now, error="account_removed")
    try:
        ensure_syncable(item)
    except (MfaRequired, ReconnectRequired) as blocked:
        return _finish(job, jobs.SKIPPED, now, error=blocked.code)
    connector = await connectors.get(session, item.connector_id)
    if connector is not None and connector.is_down:
        return _postpone(job, runtime, now, "bank_offline")
    job.status, job.started_at, job.attempts = jobs.RUNNING, now, job.attempts + 1
    since = _start_of_sync(account, job)
    try:
        with metrics.SYNC_DURATION.time():
            result = await sync_account(session, runtime, account, item, since=since, now=now)
    except ProviderError as failure:
        if _is_passing(failure):
            return _postpone(job, runtime, now, "pluggy_unavailable")
        log.warning("sync_failed", job_id=str(job.id), error=failure.code)
        return _finish(job, jobs.FAILED, now, error=failure.message)
    job.created_count, job.updated_count = result.created, result.updated
    metrics.SYNCED_TRANSACTIONS.labels("created").inc(result.created)
    metrics.SYNCED_TRANSACTIONS.labels("updated").inc(result.updated)
    log.info(
        "sync_finished",
        job_id=str(job.id),
        created=result.created,
        updated=result.updated,
        over_limit=result.over_limit,
    )
    return _finish(job, jobs.SUCCEEDED, now)


async def sync_account(
    session: AsyncSession,
    runtime: Runtime,
    account: BankAccount,
    item: Item,
    *,
    since: datetime | None,
    now: datetime,
) -> SyncResult:
    """Fetch the account's transactions created since `since` (all when None) and its balance."""
    monthly_limit, categorizer = await _company_terms(session, runtime, account, now)
    result = SyncResult()
    pages = runtime.pluggy.transaction_pages(account.pluggy_account_id, created_at_from=since)
    # Closed at once should storing fail, so that no fetch outlives the sync.
    async with contextlib.aclosing(read_ahead(pages)) as ahead:
        async for page in ahead:
            await store_page(session, account, page, categorizer, monthly_limit, result)
    await refresh_balance(session, runtime.pluggy, account, item)
    await accounts.mark_synced(session, account.id, result.newest_created_at, now)
    await usage.report(session, account.company_id, result.months, monthly_limit, now)
    return result


async def read_ahead(
    pages: AsyncGenerator[PageT, None], depth: int = READ_AHEAD_PAGES
) -> AsyncGenerator[PageT, None]:
    """The pages in order, the next ones fetched from Pluggy while the caller stores this one.

    At most `depth` pages wait, so memory stays flat however many pages there are.
    """
    # A page, the error that stopped the fetching, or None once every page came.
    waiting: asyncio.Queue[PageT | Exception | None] = asyncio.Queue(maxsize=depth)

    async def fetch() -> None:
        try:
            async for page in pages:
                await waiting.put(page)
        except Exception as failure:
            await waiting.put(failure)
        else:
            await waiting.put(None)

    fetching = asyncio.create_task(fetch())
    try:
        while (page := await waiting.get()) is not None:
            if isinstance(page, Exception):
                raise page
            yield page
    finally:
        fetching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fetching
        await pages.aclose()


async def refetch_transactions(
    session: AsyncSession,
    runtime: Runtime,
    account: BankAccount,
    pluggy_ids: Sequence[str],
    now: datetime,
) -> SyncResult:
    """transactions/updated: fetch these transactions again and keep their newer versions."""
    monthly_limit, categorizer = await _company_terms(session, runtime, account, now)
    result = SyncResult()
    async for page in runtime.pluggy.transactions_by_ids(account.pluggy_account_id, pluggy_ids):
        await store_page(session, account, page, categorizer, monthly_limit, result)
    await usage.report(session, account.company_id, result.months, monthly_limit, now)
    return result


async def delete_transactions(
    session: AsyncSession, pluggy_account_id: str, pluggy_ids: Sequence[str]
) -> int:
    """transactions/deleted: delete them here too; returns how many were here."""
    account = await accounts.by_pluggy_id(session, pluggy_account_id)
    if account is None:
        return 0
    return await transactions.delete_by_pluggy_ids(session, account.id, pluggy_ids)


async def store_page(
    session: AsyncSession,
    account: BankAccount,
    page: list[pluggy.Transaction],
    categorizer: Categorizer,
    monthly_limit: int | None,
    result: SyncResult,
) -> None:
    """Upsert one page; count its new transactions against the month's limit."""
    rows = [transaction_row(account, transaction, categorizer) for transaction in page]
    written = await transactions.upsert(session, rows)
    over_limit: list[uuid.UUID] = []
    for month, new_ids in written.new_by_month.items():
        over_limit += await usage.count_new_transactions(
            session, account.company_id, month, new_ids, monthly_limit
        )
    await transactions.flag_over_limit(session, over_limit)
    result.created += sum(len(ids) for ids in written.new_by_month.values())
    result.updated += written.updated
    result.over_limit += len(over_limit)
    result.months.update(written.new_by_month)
    newest = max(transaction.created_at for transaction in page)
    result.newest_created_at = max(newest, result.newest_created_at or newest)


def transaction_row(
    account: BankAccount, transaction: pluggy.Transaction, categorizer: Categorizer
) -> dict[str, Any]:
    """The table row of one Pluggy transaction, with its category."""
    amount_cents = abs(to_cents(transaction.amount))
    merchant = transaction.merchant
    merchant_name = (merchant.name or merchant.business_name) if merchant else None
    row: dict[str, Any] = {
        "company_id": account.company_id,
        "account_id": account.id,
        "pluggy_transaction_id": transaction.id,
        "date": transaction.date,
        "description": transaction.description,
        "merchant_name": merchant_name,
        "amount_cents": amount_cents,
        "type": _direction(transaction),
        "currency_code": transaction.currency_code,
        "status": transaction.status,
        "pluggy_category_id": transaction.category_id,
        "category_id": transaction.category_id,
        "category_name": transaction.category,
        "category_source": CATEGORY_FROM_PLUGGY if transaction.category_id else None,
        "rule_id": None,
        "pluggy_created_at": transaction.created_at,
        "pluggy_updated_at": transaction.updated_at,
    }
    match = categorizer.match(transaction.description, merchant_name, amount_cents, account.id)
    if match is not None:
        row |= {
            "category_id": match.category_id,
            "category_name": match.category_name,
            "category_source": CATEGORY_FROM_RULE,
            "rule_id": match.rule_id,
        }
    return row


async def refresh_balance(
    session: AsyncSession, pluggy_client: PluggyClient, account: BankAccount, item: Item
) -> None:
    """Keep the account's balance as Pluggy has it now."""
    current = await pluggy_client.get_account(account.pluggy_account_id)
    if current is not None:
        await accounts.save_from_pluggy(session, item, current)


async def _company_terms(
    session: AsyncSession, runtime: Runtime, account: BankAccount, now: datetime
) -> tuple[int | None, Categorizer]:
    """The company's monthly transaction limit and its categorisation rules."""
    rights = await entitlements.entitlements_for(
        session, account.company_id, runtime.trial_terms, now
    )
    categorizer = Categorizer(
        await categories.rules_of_company(session, account.company_id),
        await categories.category_names(session),
    )
    return rights.transactions_per_month_limit, categorizer


def _is_passing(failure: ProviderError) -> bool:
    """Pluggy unreachable, rate limiting, or failing on its side: worth trying again later."""
    status = failure.extra.get("provider_status")
    return isinstance(failure, ProviderUnavailable) or (isinstance(status, int) and status >= 500)


def _direction(transaction: pluggy.Transaction) -> str:
    """DEBIT (money out) or CREDIT (money in), from Pluggy's `type`; the sign is a fallback."""
    if transaction.type in (DEBIT, CREDIT):
        return transaction.type
    return CREDIT if transaction.amount > 0 else DEBIT


def _start_of_sync(account: BankAccount, job: SyncJob) -> datetime | None:
    """Where the sync starts: where the last one stopped, or earlier if the job asks; None is
    the beginning of the account's history (its first sync)."""
    if account.synced_until is None:
        return None
    resume = account.synced_until - OVERLAP
    return min(resume, job.created_at_from) if job.created_at_from else resume


def _earlier(first: datetime | None, second: datetime | None) -> datetime | None:
    """The earlier of two requested starting points, either of which may be absent."""
    present = [moment for moment in (first, second) if moment is not None]
    return min(present) if present else None


async def new_job(
    session: AsyncSession,
    account: BankAccount,
    trigger: str,
    *,
    created_at_from: datetime | None = None,
) -> SyncJob:
    """A job for the account, not queued: the caller runs it (fallback, command line)."""
    job = SyncJob(
        company_id=account.company_id,
        account_id=account.id,
        status=jobs.QUEUED,
        trigger=trigger,
        created_at_from=created_at_from,
    )
    session.add(job)
    await session.flush()
    return job


async def _publish_job(session: AsyncSession, job: SyncJob) -> None:
    await events.publish(session, SYNC_REQUESTED, {"job_id": str(job.id)}, job.company_id)


def _postpone(job: SyncJob, runtime: Runtime, now: datetime, reason: str) -> SyncJob:
    """The bank or Pluggy is down: try again later rather than fail."""
    job.status = jobs.POSTPONED
    job.error = reason
    metrics.SYNC_JOBS.labels(jobs.POSTPONED).inc()
    job.retry_at = now + timedelta(seconds=runtime.settings.sync_postpone_seconds)
    log.info("sync_postponed", job_id=str(job.id), reason=reason)
    return job


def _finish(job: SyncJob, status: str, now: datetime, *, error: str | None = None) -> SyncJob:
    job.status, job.finished_at, job.error = status, now, error
    metrics.SYNC_JOBS.labels(status).inc()
    return job
