"""A company's data export: asked by its owner, banking's part asked on the bus, the archive
assembled when it arrives (or the export failed when it never does), kept for a few days."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from billing.exports import archive, repository
from billing.exports.errors import ExportExpired, ExportFailed, ExportInProgress, ExportNotReady
from billing.exports.models import EXPIRED, FAILED, PENDING, READY, DataExport
from billing.exports.schemas import CompanyExported, ExportOut, archive_path
from billing.notifications.service import notify
from billing.publishing import COMPANY_EXPORT_REQUESTED, export_requested_data, publish
from finhub_shared import queries
from finhub_shared.auth import Principal

log = structlog.get_logger(__name__)

# Why an export failed.
BANKING_DID_NOT_ANSWER = "banking_did_not_answer"


def shown(export: DataExport) -> ExportOut:
    """The export as its owner sees it."""
    return ExportOut.model_validate(export)


async def request(session: AsyncSession, principal: Principal, now: datetime) -> DataExport:
    """A new export of the caller's company, its part asked of banking; ExportInProgress while
    another is pending."""
    company_id = principal.company_id
    # Two requests at once take turns, so the second sees the first one's export.
    await queries.advisory_lock(session, "data-export", str(company_id))
    if (pending := await repository.pending_of(session, company_id)) is not None:
        raise ExportInProgress(
            "An export of this company is being prepared; wait for it.", export_id=str(pending.id)
        )
    export = DataExport(
        company_id=company_id, requested_by=principal.user_id, status=PENDING, requested_at=now
    )
    session.add(export)
    await session.flush()
    data = export_requested_data(export.id, company_id)
    await publish(session, COMPANY_EXPORT_REQUESTED, data, company_id)
    return export


async def get(session: AsyncSession, principal: Principal, export_id: UUID) -> DataExport:
    """One of the caller's company's exports (404 for another company's)."""
    return await queries.get_owned(session, DataExport, export_id, principal, "export")


async def archive_of(session: AsyncSession, principal: Principal, export_id: UUID) -> bytes:
    """The zip of a ready export; otherwise why it cannot be downloaded."""
    export = await get(session, principal, export_id)
    if export.status == PENDING:
        raise ExportNotReady("The export is still being prepared.")
    if export.status == FAILED:
        raise ExportFailed("The export failed; ask for a new one.")
    content = await repository.archive_of(session, export.id) if export.status == READY else None
    if export.status == EXPIRED or content is None:
        raise ExportExpired("The export has expired and was deleted; ask for a new one.")
    return content


async def assemble(
    session: AsyncSession, exported: CompanyExported, *, retention_days: int, now: datetime
) -> None:
    """Banking's part arrived: store the whole archive and tell the company. Ignored when the
    export is not waiting for it (already failed, or not this company's)."""
    export = await repository.for_update(session, exported.export_id)
    if export is None or export.company_id != exported.company_id or export.status != PENDING:
        log.warning(
            "export_part_ignored",
            export_id=str(exported.export_id),
            status=export.status if export else None,
        )
        return
    billing = await archive.billing_files(session, export.company_id)
    contents = archive.manifest(export.id, export.company_id, now, billing, exported)
    zipped = await asyncio.to_thread(archive.zipped, contents, billing, exported)
    export.archive, export.archive_size = zipped, len(zipped)
    export.status, export.finished_at = READY, now
    export.expires_at = now + timedelta(days=retention_days)
    await session.flush()
    await notify(
        session,
        export.company_id,
        "data_export_ready",
        "Your data export is ready",
        f"Download it by {export.expires_at:%Y-%m-%d}; after that it is deleted.",
        {"export_id": str(export.id), "link": archive_path(export.id)},
    )


async def fail_if_overdue(
    session: AsyncSession, export_id: UUID, *, before: datetime, now: datetime
) -> bool:
    """Fail an export still waiting for banking since before `before`, and tell the company;
    whether it failed."""
    export = await repository.for_update(session, export_id)
    if export is None or export.status != PENDING or export.requested_at > before:
        return False
    export.status, export.finished_at = FAILED, now
    export.failure_reason = BANKING_DID_NOT_ANSWER
    await session.flush()
    await notify(
        session,
        export.company_id,
        "data_export_failed",
        "Your data export failed",
        "We could not gather your bank data in time. Please ask for the export again.",
        {"export_id": str(export.id)},
    )
    return True
