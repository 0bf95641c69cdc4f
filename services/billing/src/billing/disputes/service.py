"""Evidence for a dispute: files uploaded to Stripe, texts saved as a draft or submitted.

No transaction is open while Stripe answers: each use case reads and checks the dispute in a
short transaction, calls Stripe, then writes the answer in another that locks the dispute and
checks again. Nothing is recorded as submitted unless Stripe answered that it was.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, cast
from uuid import UUID

import stripe
from sqlalchemy.ext.asyncio import AsyncSession
from stripe.params import DisputeUpdateParams

from billing.audit import service as audit
from billing.disputes import repository
from billing.disputes.errors import (
    DisputeNotOpen,
    EvidenceAlreadySubmitted,
    EvidenceDeadlinePassed,
    EvidenceFileMissing,
    EvidenceFileTooLarge,
    NoEvidence,
    UnsupportedEvidenceFile,
)
from billing.disputes.models import Dispute, EvidenceFile
from billing.disputes.schemas import DisputeDetail, DisputeOut, EvidenceFileOut, EvidenceIn
from billing.stripe import payloads
from billing.stripe.client import stripe_call
from finhub_shared.auth import Principal
from finhub_shared.db import Database

# Stripe's limit for a file uploaded with purpose dispute_evidence.
EVIDENCE_FILE_MAX_BYTES = 5 * 1024 * 1024
# The body of an evidence upload: the file and room for the multipart parts around it.
EVIDENCE_UPLOAD_BODY_BYTES = EVIDENCE_FILE_MAX_BYTES + 64 * 1024
# The types Stripe takes as dispute evidence, known by their first bytes as Stripe knows them.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_DEFAULT_NAMES = {"application/pdf": "evidence.pdf", "image/png": "evidence.png"}


@dataclass(frozen=True)
class _Target:
    """What a call to Stripe about a dispute's evidence needs from the database."""

    dispute_id: UUID
    stripe_dispute_id: str
    revision: int
    has_evidence: bool
    files: dict[str, str]


async def detail(session: AsyncSession, dispute: Dispute) -> DisputeDetail:
    """The dispute with its evidence files."""
    files = [
        EvidenceFileOut.model_validate(f) for f in await repository.files_of(session, dispute.id)
    ]
    return DisputeDetail(**DisputeOut.model_validate(dispute).model_dump(), evidence_files=files)


def check_evidence_open(dispute: Dispute, now: datetime) -> None:
    """409 unless the dispute still takes evidence: not submitted, open, before its deadline."""
    if dispute.evidence_submission_count > 0:
        raise EvidenceAlreadySubmitted("Evidence for this dispute was already submitted.")
    if dispute.status not in repository.OPEN_STATUSES:
        raise DisputeNotOpen(f"This dispute takes no evidence now (status {dispute.status}).")
    if dispute.evidence_due_by is not None and dispute.evidence_due_by <= now:
        raise EvidenceDeadlinePassed(
            f"Evidence for this dispute was due by {dispute.evidence_due_by.isoformat()}."
        )


def evidence_file_type(content: bytes) -> str:
    """The file's type if Stripe takes it as dispute evidence; 413 or 415 otherwise."""
    if len(content) > EVIDENCE_FILE_MAX_BYTES:
        raise EvidenceFileTooLarge("An evidence file may be at most 5 MB (Stripe's limit).")
    for magic, content_type in _SIGNATURES:
        if content.startswith(magic):
            return content_type
    raise UnsupportedEvidenceFile("An evidence file must be a PDF, JPEG or PNG.")


def _filename(given: str | None, content_type: str) -> str:
    # Only the last part of a path the browser sent, within the column and storable.
    name = PurePosixPath((given or "").replace("\\", "/")).name
    name = "".join(char for char in name if char.isprintable())[-255:].strip()
    return name or _DEFAULT_NAMES.get(content_type, "evidence.jpg")


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


async def _target(
    database: Database, principal: Principal, dispute_id: UUID, now: datetime
) -> _Target:
    async with database.transaction() as session:
        dispute = await repository.get_for(session, principal, dispute_id)
        check_evidence_open(dispute, now)
        files = {f.field: f.stripe_file_id for f in await repository.files_of(session, dispute.id)}
        return _Target(
            dispute.id,
            dispute.stripe_dispute_id,
            dispute.evidence_revision,
            dispute.has_evidence,
            files,
        )


def _evidence_state(dispute: Dispute) -> dict[str, Any]:
    return {
        "status": dispute.status,
        "has_evidence": dispute.has_evidence,
        "submission_count": dispute.evidence_submission_count,
        "fields": list(dispute.evidence_fields),
    }


async def upload_file(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    dispute_id: UUID,
    *,
    field: str | None,
    content: bytes | None,
    filename: str | None,
    now: datetime,
) -> DisputeDetail:
    """Upload a file to Stripe (purpose dispute_evidence) for one evidence field, replacing the
    field's earlier file; it goes to the dispute with the next save or submission."""
    target = await _target(database, principal, dispute_id, now)
    if field is None or content is None:
        raise EvidenceFileMissing("Send the evidence `field` and its `file` as multipart parts.")
    content_type = evidence_file_type(content)
    name = _filename(filename, content_type)
    upload = io.BytesIO(content)
    upload.name = name
    key = f"dispute-evidence-file-{target.dispute_id}-{field}-{_digest(name, content.hex())}"
    uploaded = await stripe_call(
        "upload the evidence file",
        payloads.File,
        stripe_client.v1.files.create_async(
            params={"file": upload, "purpose": "dispute_evidence"},
            options={"idempotency_key": key},
        ),
    )
    async with database.transaction() as session:
        dispute = await repository.lock_for(session, principal, dispute_id)
        check_evidence_open(dispute, now)
        record = await repository.file_for(session, dispute.id, field)
        replaced = record.stripe_file_id if record else None
        if record is None:
            record = EvidenceFile(company_id=dispute.company_id, dispute_id=dispute.id, field=field)
            session.add(record)
        record.stripe_file_id = uploaded.id
        record.filename = name
        record.content_type = content_type
        record.size_bytes = uploaded.size
        record.uploaded_at = now
        await session.flush()
        await audit.record(
            session,
            dispute.company_id,
            actor=audit.user_actor(principal.user_id),
            action="dispute.evidence_file_uploaded",
            before={"stripe_file_id": replaced} if replaced else None,
            after={
                "dispute_id": str(dispute.id),
                "field": field,
                "stripe_file_id": uploaded.id,
                "filename": name,
                "size_bytes": uploaded.size,
            },
        )
        return await detail(session, dispute)


async def save_evidence(
    database: Database,
    stripe_client: stripe.StripeClient,
    principal: Principal,
    dispute_id: UUID,
    form: EvidenceIn,
    now: datetime,
) -> DisputeDetail:
    """Send the texts given and every uploaded file to Stripe: staged as a draft, or submitted
    to the bank with `submit` (then no more evidence is taken)."""
    target = await _target(database, principal, dispute_id, now)
    evidence = {**form.texts(), **target.files}
    if not evidence and not (form.submit and target.has_evidence):
        raise NoEvidence("Give at least one evidence field or file.")
    params: DisputeUpdateParams = {"evidence": cast(Any, evidence), "submit": form.submit}
    # A retry of the same save is the same call at Stripe; the next save is a new one.
    key = f"dispute-evidence-{target.dispute_id}-{target.revision}-{_digest(params)}"
    answer = await stripe_call(
        "submit the dispute evidence" if form.submit else "save the dispute evidence",
        payloads.Dispute,
        stripe_client.v1.disputes.update_async(
            target.stripe_dispute_id, params=params, options={"idempotency_key": key}
        ),
    )
    async with database.transaction() as session:
        dispute = await repository.lock_for(session, principal, dispute_id)
        before = _evidence_state(dispute)
        details = answer.evidence_details
        dispute.evidence_revision += 1
        dispute.evidence_fields = sorted(set(dispute.evidence_fields) | evidence.keys())
        dispute.has_evidence = dispute.has_evidence or bool(details and details.has_evidence)
        count = details.submission_count if details else 0
        dispute.evidence_submission_count = max(dispute.evidence_submission_count, count)
        if dispute.evidence_submission_count > 0 and dispute.evidence_submitted_at is None:
            dispute.evidence_submitted_at = now
        dispute.status = answer.status
        await session.flush()
        await audit.record(
            session,
            dispute.company_id,
            actor=audit.user_actor(principal.user_id),
            action="dispute.evidence_submitted" if form.submit else "dispute.evidence_saved",
            before=before,
            after={"dispute_id": str(dispute.id), **_evidence_state(dispute)},
        )
        return await detail(session, dispute)
