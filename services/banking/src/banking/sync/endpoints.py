"""Routes of syncs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from banking.entitlements.errors import BankAccountLimitReached
from banking.sync import repository, service
from banking.sync.errors import MfaRequired, ReconnectRequired
from banking.sync.schemas import SyncAccepted, SyncJobRead
from finhub_shared.auth import CurrentPrincipal, WriterPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses

router = APIRouter(prefix="/api/banking", tags=["accounts"])


@router.post(
    "/accounts/{account_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(NotFound, ReconnectRequired, MfaRequired, BankAccountLimitReached),
)
async def sync_account(
    account_id: uuid.UUID, session: DbSession, principal: WriterPrincipal
) -> SyncAccepted:
    """Sync the account's transactions in the background; follow it at /sync-jobs/{job_id}. An
    account blocked past your plan's limit is refused until an upgrade makes room for it."""
    job = await service.request_account_sync(session, principal, account_id)
    return SyncAccepted(job_id=job.id, status=job.status)


@router.get("/sync-jobs/{job_id}", responses=error_responses(NotFound))
async def get_sync_job(
    job_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SyncJobRead:
    """How a requested sync went."""
    return SyncJobRead.model_validate(await repository.get_for(session, principal, job_id))
