"""Syncing an account's transactions from Pluggy: queued as jobs, incremental, page by page.

A sync follows `GET /v2/transactions` from where the last one stopped (Pluggy's createdAtFrom)
to the end of the cursor. No database transaction spans a call to Pluggy: the job's start, each
page and the job's end are committed on their own, so a failure keeps the pages stored before it
and always leaves the job saying how it ended. Upserts are idempotent: a job run again resumes,
it never duplicates. Jobs lost by a crash are found by their silence and queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.accounts import repository as accounts
from banking.accounts import service as account_views
from banking.accounts.models import BANK_ACCOUNT_LIMIT_REACHED, BLOCKED, BankAccount
from banking.config import BankingSettings
from banking.connectors import repository as connectors
from banking.insights import service as insights
from banking.items import models as item_states
from banking.items import repository as items
from banking.items.models import Item
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime
from banking.sync import live, metrics, repository
from banking.sync import models as jobs
from banking.sync.errors import MfaRequired, ReconnectRequired, TakenOver
from banking.sync.models import SyncJob
from banking.sync.pages import CompanyTerms, Stored, company_terms, store_page
from banking.usage import service as usage
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.queries import advisory_lock

log = structlog.get_logger(__name__)

PageT = TypeVar("PageT")
Clock = Callable[[], datetime]

SYNC_REQUESTED = "sync.requested"
# Each sync re-reads the hour before the newest transaction it saw last time: Pluggy does not
# promise that one execution stores its transactions in createdAt order. Upserts absorb it.
OVERLAP = timedelta(hours=1)
# Pages fetched ahead of the one being stored (Pluggy's pages are about 500 KB each).
READ_AHEAD_PAGES = 2
# The reasons a job keeps of its skipped transactions, at most this long.
SKIPPED_REASON_LENGTH = 500


@dataclass(frozen=True)
class Run:
    """One run of a job: what it syncs, from where, under which company terms."""

    job_id: uuid.UUID
    attempt: int
    account: BankAccount
    since: datetime | None
    terms: CompanyTerms


async def request_account_sync(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID
) -> SyncJob:
    """Queue a sync of the caller's account (published when the request's transaction commits);
    one blocked past the plan's limit is refused with the upgrade that would sync it."""
    account = await accounts.get_for(session, principal, account_id)
    await account_views.ensure_active(session, account)
    item = await items.get(session, account.item_id)
    assert item is not None
    ensure_syncable(item)
    return await queue_sync(session, account, jobs.TRIGGER_MANUAL)


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
    await advisory_lock(session, "sync-queue", str(account.id))
    waiting = await repository.waiting_job(session, account.id)
    if waiting is not None:
        waiting.created_at_from = _earlier(waiting.created_at_from, created_at_from)
        return waiting
    job = await new_job(session, account, trigger, created_at_from=created_at_from)
    await _publish_job(session, job)
    return job


async def new_job(
    session: AsyncSession,
    account: BankAccount,
    trigger: str,
    *,
    created_at_from: datetime | None = None,
) -> SyncJob:
    """A queued job for the account, not yet published (the command line runs it itself)."""
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


async def requeue_postponed(session: AsyncSession, now: datetime) -> int:
    """Put postponed jobs whose wait is over back on the queue; returns how many."""
    due = await repository.due_postponed(session, now)
    for job in due:
        job.status, job.retry_at, job.heartbeat_at = jobs.QUEUED, None, now
        await _publish_job(session, job)
    return len(due)


async def recover_stalled(session: AsyncSession, settings: BankingSettings, now: datetime) -> int:
    """Queue again the jobs a crash left silent (running, or queued and never started); those
    that already started `sync_max_attempts` times end failed. Returns how many were found."""
    found = await repository.stalled(
        session,
        running_since=now - timedelta(seconds=settings.sync_stalled_after_seconds),
        queued_since=now - timedelta(seconds=settings.sync_queued_timeout_seconds),
    )
    for job in found:
        if job.attempts >= settings.sync_max_attempts:
            _finish(job, jobs.FAILED, now, error=f"stalled after {job.attempts} attempts")
            account = await accounts.get(session, job.account_id)
            if account is not None:
                await live.failed(session, job, account.item_id, "stalled")
            continue
        log.warning("sync_stalled_requeued", job_id=str(job.id), status=job.status)
        job.status, job.heartbeat_at = jobs.QUEUED, now
        await _publish_job(session, job)
    return len(found)


async def run_job(database: Database, runtime: Runtime, job_id: uuid.UUID, clock: Clock) -> None:
    """Run a job: its start, each page and its end in transactions of their own.

    A job that is not waiting (done, or running with signs of life) is left as it is, so a
    redelivered message does nothing.
    """
    async with database.transaction() as session:
        run = await _start(session, runtime, job_id, clock())
    if run is None:
        return
    stored = Stored()
    lease = runtime.settings.sync_stalled_after_seconds
    try:
        with metrics.SYNC_DURATION.time():
            async with _keeping_alive(database, run, clock, every_seconds=lease / 3):
                await _sync_pages(database, runtime, run, stored, clock)
                balance = await runtime.pluggy.get_account(run.account.pluggy_account_id)
    except TakenOver:
        log.warning("sync_taken_over", job_id=str(job_id))
        return
    except ProviderError as failure:
        if _is_passing(failure):
            unavailable = "pluggy_unavailable"
            postpone = partial(_postpone, settings=runtime.settings, reason=unavailable)
            await _end(database, run, stored, clock(), postpone, unavailable)
        else:
            log.warning("sync_failed", job_id=str(job_id), error=failure.code)
            fail = partial(_fail, reason=failure.message)
            await _end(database, run, stored, clock(), fail, failure.code)
        return
    except Exception as failure:
        log.exception("sync_failed_unexpectedly", job_id=str(job_id))
        reason = f"unexpected error: {type(failure).__name__}"
        fail = partial(_fail, reason=reason)
        await _end(database, run, stored, clock(), fail, "unexpected_error")
        return
    await _complete(database, run, stored, balance, clock())


async def _start(
    session: AsyncSession, runtime: Runtime, job_id: uuid.UUID, now: datetime
) -> Run | None:
    """Mark the job running and gather what its run needs; None when it is not to run now."""
    job = await repository.get_locked(session, job_id)
    if job is None or not _may_start(job, runtime.settings, now):
        return None
    account = await accounts.get(session, job.account_id)
    item = await items.get(session, account.item_id) if account else None
    if account is None or item is None:
        _finish(job, jobs.SKIPPED, now, error="account_removed")
        return None
    if account.status == BLOCKED:
        # Past the plan's limit: synced once an upgrade activates it, not before.
        _finish(job, jobs.SKIPPED, now, error=BANK_ACCOUNT_LIMIT_REACHED)
        await live.failed(session, job, item.id, BANK_ACCOUNT_LIMIT_REACHED)
        return None
    try:
        ensure_syncable(item)
    except (MfaRequired, ReconnectRequired) as blocked:
        _finish(job, jobs.SKIPPED, now, error=blocked.code)
        await live.failed(session, job, item.id, blocked.code)
        return None
    connector = await connectors.get(session, item.connector_id)
    if connector is not None and connector.is_down:
        _postpone(job, now, settings=runtime.settings, reason="bank_offline")
        await live.failed(session, job, item.id, "bank_offline")
        return None
    job.status, job.started_at, job.heartbeat_at = jobs.RUNNING, now, now
    job.attempts += 1
    terms = await company_terms(session, runtime, account.company_id, now)
    return Run(job.id, job.attempts, account, _start_of_sync(account, job), terms)


def _may_start(job: SyncJob, settings: BankingSettings, now: datetime) -> bool:
    """Waiting jobs start; a running one only once it has been silent past its window."""
    if job.status in jobs.WAITING_STATUSES:
        return True
    stalled_since = now - timedelta(seconds=settings.sync_stalled_after_seconds)
    return job.status == jobs.RUNNING and job.heartbeat_at < stalled_since


async def _sync_pages(
    database: Database, runtime: Runtime, run: Run, stored: Stored, clock: Clock
) -> None:
    """Each page fetched with no transaction open, then stored and committed in its own."""
    pages = runtime.pluggy.transaction_pages(
        run.account.pluggy_account_id, created_at_from=run.since
    )
    # Closed at once should storing fail, so that no fetch outlives the sync.
    async with contextlib.aclosing(read_ahead(pages)) as ahead:
        async for batch in ahead:
            async with database.transaction() as session:
                page = await store_page(session, run.account, batch, run.terms)
                await _record_progress(session, run, page, clock())
                if page.transactions:
                    so_far = stored.transactions + page.transactions
                    await live.progress(session, run.job_id, run.account, so_far)
            stored.add(page)


@contextlib.asynccontextmanager
async def _keeping_alive(
    database: Database, run: Run, clock: Clock, *, every_seconds: float
) -> AsyncIterator[None]:
    """Beat on the job while the block runs, so that a run waiting on a slow Pluggy is not taken
    for a crashed one, and a crashed one is found within one window."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                async with database.transaction() as session:
                    await _record_progress(session, run, Stored(), clock())
            except TakenOver:
                return
            except Exception as error:
                # A missed beat is only a beat: the next one may reach the database again.
                log.warning(
                    "sync_heartbeat_failed", job_id=str(run.job_id), error=type(error).__name__
                )

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating


async def _record_progress(session: AsyncSession, run: Run, page: Stored, now: datetime) -> None:
    recorded = await repository.record_progress(
        session,
        run.job_id,
        run.attempt,
        now,
        created=page.created,
        updated=page.updated,
        skipped=sum(page.skipped.values()),
    )
    if not recorded:
        raise TakenOver


async def _complete(
    database: Database,
    run: Run,
    stored: Stored,
    balance: pluggy.Account | None,
    now: datetime,
) -> None:
    """The sync went through: keep the balance, where the next one starts, and say so."""
    async with database.transaction() as session:
        job = await _still_ours(session, run)
        if job is None:
            return
        if balance is not None:
            await accounts.refresh_from_pluggy(session, balance)
        await accounts.mark_synced(session, run.account.id, stored.newest_created_at, now)
        await usage.settle(session, run.account.company_id, stored.months, now)
        _note_skipped(job, stored)
        _finish(job, jobs.SUCCEEDED, now)
        await live.finished(session, job, run.account.item_id, stored.transactions)
        # Computed by the worker on its own queue, never inside the sync's transaction.
        await insights.request(session, run.account.company_id, now)
    metrics.SYNCED_TRANSACTIONS.labels("created").inc(stored.created)
    metrics.SYNCED_TRANSACTIONS.labels("updated").inc(stored.updated)
    log.info(
        "sync_finished",
        job_id=str(run.job_id),
        created=stored.created,
        updated=stored.updated,
        over_limit=stored.over_limit,
        skipped=sum(stored.skipped.values()),
    )


async def _end(
    database: Database,
    run: Run,
    stored: Stored,
    now: datetime,
    outcome: Callable[[SyncJob, datetime], None],
    reason: str,
) -> None:
    """The sync stopped short (postponed or failed, for `reason`, a code); the pages stored so
    far stay, counted."""
    async with database.transaction() as session:
        job = await _still_ours(session, run)
        if job is None:
            return
        await usage.settle(session, run.account.company_id, stored.months, now)
        _note_skipped(job, stored)
        outcome(job, now)
        await live.failed(session, job, run.account.item_id, reason)


async def _still_ours(session: AsyncSession, run: Run) -> SyncJob | None:
    """The job, held, if this run is still the one running it."""
    job = await repository.get_locked(session, run.job_id)
    if job is None or job.status != jobs.RUNNING or job.attempts != run.attempt:
        return None
    return job


def _note_skipped(job: SyncJob, stored: Stored) -> None:
    """Why transactions were left out, most frequent first ("amount_out_of_range: 2, ...")."""
    if stored.skipped:
        summary = ", ".join(f"{reason}: {n}" for reason, n in stored.skipped.most_common())
        job.skipped_reason = summary[:SKIPPED_REASON_LENGTH]


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


def _is_passing(failure: ProviderError) -> bool:
    """Pluggy unreachable, rate limiting, or failing on its side: worth trying again later."""
    status = failure.extra.get("provider_status")
    return isinstance(failure, ProviderUnavailable) or (isinstance(status, int) and status >= 500)


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


async def _publish_job(session: AsyncSession, job: SyncJob) -> None:
    data = publishing.SyncRequested(job_id=job.id).model_dump(mode="json")
    await publishing.publish(session, SYNC_REQUESTED, data, job.company_id)


def _postpone(job: SyncJob, now: datetime, *, settings: BankingSettings, reason: str) -> None:
    """The bank or Pluggy is down: try again later rather than fail."""
    job.status = jobs.POSTPONED
    job.error = reason
    metrics.SYNC_JOBS.labels(jobs.POSTPONED).inc()
    job.retry_at = now + timedelta(seconds=settings.sync_postpone_seconds)
    log.info("sync_postponed", job_id=str(job.id), reason=reason)


def _fail(job: SyncJob, now: datetime, *, reason: str) -> None:
    _finish(job, jobs.FAILED, now, error=reason)


def _finish(job: SyncJob, status: str, now: datetime, *, error: str | None = None) -> None:
    job.status, job.finished_at, job.error = status, now, error
    metrics.SYNC_JOBS.labels(status).inc()
