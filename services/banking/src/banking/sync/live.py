"""What the live stream is told of a sync: each page's progress, its end, or why it stopped
(docs/DESIGN.md, "What the live stream shows"), queued in the transaction that records it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.accounts.models import BANK_ACCOUNT_LIMIT_REACHED, BankAccount
from banking.sync import models as jobs
from banking.sync.models import SyncJob

# Why a sync stopped (its reason code), in words for the user.
_REASONS = {
    "pluggy_unavailable": "Pluggy is not answering; the sync will be tried again.",
    "bank_offline": "The bank is offline; the sync will be tried again.",
    "stalled": "The sync stopped answering too many times and was given up.",
    "unexpected_error": "The sync stopped on an error of ours.",
    "mfa_required": "The bank is waiting for your MFA code; answer it first.",
    "reconnect_required": "The connection to the bank must be renewed; reconnect first.",
    BANK_ACCOUNT_LIMIT_REACHED: "This account is past your plan's limit; upgrade to sync it.",
}
_PROVIDER_REFUSED = "Pluggy refused to list the transactions."


async def progress(
    session: AsyncSession, job_id: uuid.UUID, account: BankAccount, transactions_stored: int
) -> None:
    """`banking.sync.progress`: the account's transactions stored so far by this run (Pluggy's
    transaction pages carry no total)."""
    data = publishing.sync_progress_data(
        job_id, account.item_id, account.id, account.name, transactions_stored, None
    )
    await publishing.publish(session, publishing.SYNC_PROGRESS, data, account.company_id)


async def finished(
    session: AsyncSession, job: SyncJob, item_id: uuid.UUID, transactions_stored: int
) -> None:
    """`banking.sync.finished`: the job's one account synced, what it stored."""
    data = publishing.sync_finished_data(job.id, item_id, 1, transactions_stored)
    await publishing.publish(session, publishing.SYNC_FINISHED, data, job.company_id)


async def failed(session: AsyncSession, job: SyncJob, item_id: uuid.UUID, reason: str) -> None:
    """`banking.sync.failed`: why the job stopped, and when it runs again if it was postponed."""
    retried_at = job.retry_at if job.status == jobs.POSTPONED else None
    message = _REASONS.get(reason, _PROVIDER_REFUSED)
    data = publishing.sync_failed_data(job.id, item_id, reason, message, retried_at)
    await publishing.publish(session, publishing.SYNC_FAILED, data, job.company_id)
