"""The owner deletes the company."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, status

from billing.dependencies import Clock, DatabaseDep, StripeApi
from billing.erasure import progress, service
from billing.erasure.errors import DeletionNotConfirmed
from billing.erasure.schemas import DeletionOut, DeletionRequest
from finhub_shared.auth import Principal, require_role
from finhub_shared.errors import FinhubError, error_responses

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api/companies", tags=["companies"])

OwnerPrincipal = Annotated[Principal, Depends(require_role("owner"))]


@router.post(
    "/me/deletion",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(DeletionNotConfirmed),
)
async def delete_company(
    form: DeletionRequest,
    principal: OwnerPrincipal,
    database: DatabaseDep,
    stripe_client: StripeApi,
    clock: Clock,
) -> DeletionOut:
    """Delete the company and all its data, for good (the owner only, confirmed by typing the
    company's name): every log-in ends at once, the subscription is cancelled at Stripe, and
    each service erases what it holds; only fiscal records stay, with no personal data."""
    now = clock()
    async with database.transaction() as session:
        deletion = await service.request_deletion(session, principal, form, now)
    try:
        await progress.advance(database, stripe_client, deletion.id, now)
    except FinhubError as error:
        # Accepted all the same: the worker's erasure job takes the step again.
        log.warning("company_deletion_step_postponed", reason=error.code)
    async with database.sessions() as session:
        current = await service.deletion(session, deletion.id)
    return DeletionOut.model_validate(current)
