"""The company's disputes (chargebacks) and the evidence it gives for them.

The evidence routes call Stripe, so they take the database (`DatabaseDep`) instead of the
request's one transaction (`DbSession`): the service holds a transaction only while it reads and
writes.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, UploadFile, status

from billing.dependencies import Clock, DatabaseDep, StripeApi
from billing.disputes import repository, service
from billing.disputes.errors import (
    DisputeNotOpen,
    EvidenceAlreadySubmitted,
    EvidenceDeadlinePassed,
    EvidenceFileMissing,
    EvidenceFileTooLarge,
    NoEvidence,
    UnsupportedEvidenceFile,
)
from billing.disputes.schemas import DisputeDetail, DisputeOut, EvidenceFileField, EvidenceIn
from finhub_shared.auth import CurrentPrincipal, ManagerPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, ProviderError, ProviderUnavailable, error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/payments/disputes", tags=["disputes"])
# The one route reading bodies larger than MAX_REQUEST_BODY_BYTES: up to a 5 MB file.
LARGER_BODIES = {r"/api/payments/disputes/[^/]+/evidence/files": service.EVIDENCE_UPLOAD_BODY_BYTES}

EVIDENCE_CLOSED = (DisputeNotOpen, EvidenceAlreadySubmitted, EvidenceDeadlinePassed)
STRIPE_ERRORS = (ProviderError, ProviderUnavailable)


@router.get("")
async def list_disputes(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[DisputeOut]:
    """Disputes, newest first, with the evidence due date and what evidence was given."""
    return await page_of(session, repository.newest_first(principal), page, DisputeOut)


@router.get("/{dispute_id}", responses=error_responses(NotFound))
async def get_dispute(
    session: DbSession, principal: CurrentPrincipal, dispute_id: UUID
) -> DisputeDetail:
    """One dispute, with the evidence files uploaded for it."""
    return await service.detail(session, await repository.get_for(session, principal, dispute_id))


@router.post(
    "/{dispute_id}/evidence",
    responses=error_responses(NotFound, NoEvidence, *EVIDENCE_CLOSED, *STRIPE_ERRORS),
)
async def save_evidence(
    dispute_id: UUID,
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
    clock: Clock,
    form: EvidenceIn | None = None,
) -> DisputeDetail:
    """Save evidence texts as a draft, or submit them with the uploaded files to the bank
    (`submit`: once only, before `evidence_due_by`)."""
    return await service.save_evidence(
        database, stripe_client, principal, dispute_id, form or EvidenceIn(), clock()
    )


@router.post(
    "/{dispute_id}/evidence/files",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        NotFound,
        EvidenceFileMissing,
        EvidenceFileTooLarge,
        UnsupportedEvidenceFile,
        *EVIDENCE_CLOSED,
        *STRIPE_ERRORS,
    ),
)
async def upload_evidence_file(
    dispute_id: UUID,
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
    clock: Clock,
    field: Annotated[EvidenceFileField | None, Form()] = None,
    file: UploadFile | None = None,
) -> DisputeDetail:
    """Upload a PDF, JPEG or PNG of up to 5 MB as one evidence field's file (replacing the
    field's earlier one); it goes to Stripe now and to the dispute with the next save."""
    content = await file.read(service.EVIDENCE_FILE_MAX_BYTES + 1) if file else None
    return await service.upload_file(
        database,
        stripe_client,
        principal,
        dispute_id,
        field=field,
        content=content,
        filename=file.filename if file else None,
        now=clock(),
    )
