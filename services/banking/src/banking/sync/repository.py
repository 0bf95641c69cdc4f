"""Queries of the sync jobs table."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import BankAccount
from banking.items.models import Item
from banking.sync.models import POSTPONED, QUEUED, RUNNING, WAITING_STATUSES, SyncJob
from finhub_shared import queries
from finhub_shared.auth import Principal


async def get_for(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> SyncJob:
    """The caller's job, or 404."""
    return await queries.get_owned(session, SyncJob, job_id, principal, "sync job")


async def get(session: AsyncSession, job_id: uuid.UUID) -> SyncJob:
    """The job with this id (it exists: the caller made it)."""
    job = await session.get(SyncJob, job_id, populate_existing=True)
    assert job is not None
    return job


async def get_locked(session: AsyncSession, job_id: uuid.UUID) -> SyncJob | None:
    """The job, held against another worker running it at the same time."""
    return await queries.get_for_update(session, SyncJob, job_id)


async def waiting_job(session: AsyncSession, account_id: uuid.UUID) -> SyncJob | None:
    """A queued or postponed job of the account that nobody is running right now."""
    statement = (
        select(SyncJob)
        .where(SyncJob.account_id == account_id, SyncJob.status.in_(WAITING_STATUSES))
        .order_by(SyncJob.requested_at)
        .limit(1)
        # A job a worker holds is running: a new request then needs a job of its own.
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def due_postponed(session: AsyncSession, now: datetime, limit: int = 100) -> list[SyncJob]:
    """Postponed jobs whose wait is over, held so that one worker requeues each."""
    statement = (
        select(SyncJob)
        .where(SyncJob.status == POSTPONED, SyncJob.retry_at <= now)
        .order_by(SyncJob.retry_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))


async def stalled(
    session: AsyncSession,
    *,
    running_since: datetime,
    queued_since: datetime,
    limit: int = 100,
) -> list[SyncJob]:
    """Jobs running with no sign of life since `running_since`, or queued and not started since
    `queued_since`; held so that one worker recovers each."""
    statement = (
        select(SyncJob)
        .where(
            SyncJob.status.in_((QUEUED, RUNNING)),
            SyncJob.heartbeat_at
            < case((SyncJob.status == RUNNING, running_since), else_=queued_since),
        )
        .order_by(SyncJob.heartbeat_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))


async def record_progress(
    session: AsyncSession,
    job_id: uuid.UUID,
    attempt: int,
    at: datetime,
    *,
    created: int,
    updated: int,
    skipped: int,
) -> bool:
    """Add a stored page's counts to its job, as a sign of life; False when the job is no longer
    this run's (given up, or taken over after a stall)."""
    result = await session.execute(
        update(SyncJob)
        .where(SyncJob.id == job_id, SyncJob.status == RUNNING, SyncJob.attempts == attempt)
        .values(
            created_count=SyncJob.created_count + created,
            updated_count=SyncJob.updated_count + updated,
            skipped_count=SyncJob.skipped_count + skipped,
            heartbeat_at=at,
        )
    )
    return queries.rows_affected(result) > 0


async def retry_postponed_of_connector(
    session: AsyncSession, connector_id: int, now: datetime
) -> None:
    """Make the postponed jobs of this connector's accounts due now."""
    accounts_of_connector = (
        select(BankAccount.id)
        .join(Item, Item.id == BankAccount.item_id)
        .where(Item.connector_id == connector_id)
    )
    await session.execute(
        update(SyncJob)
        .where(SyncJob.status == POSTPONED, SyncJob.account_id.in_(accounts_of_connector))
        .values(retry_at=now)
    )
