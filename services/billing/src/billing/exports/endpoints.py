"""The owner's exports of all the company's data (LGPD): ask, follow, download."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from billing.dependencies import Clock
from billing.exports import repository, service
from billing.exports.errors import ExportExpired, ExportFailed, ExportInProgress, ExportNotReady
from billing.exports.schemas import ExportOut
from finhub_shared.auth import Principal, require_role
from finhub_shared.db import DbSession
from finhub_shared.errors import error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/companies/me/exports", tags=["privacy"])

# The archive holds every user's and every bank's data: only the owner may ask for or read it.
OwnerPrincipal = Annotated[Principal, Depends(require_role("owner"))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(ExportInProgress),
)
async def request_export(session: DbSession, principal: OwnerPrincipal, clock: Clock) -> ExportOut:
    """Ask for an archive of all the company's data; it is prepared in the background, and the
    company is notified when it can be downloaded. One at a time."""
    return service.shown(await service.request(session, principal, clock()))


@router.get("")
async def list_exports(
    session: DbSession, principal: OwnerPrincipal, page: PageQuery
) -> Page[ExportOut]:
    """The company's exports, newest first."""
    return await page_of(session, repository.newest_first(principal), page, ExportOut)


@router.get("/{export_id}")
async def get_export(session: DbSession, principal: OwnerPrincipal, export_id: UUID) -> ExportOut:
    """An export's status (pending, ready, failed, expired)."""
    return service.shown(await service.get(session, principal, export_id))


@router.get(
    "/{export_id}/archive",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The archive (a zip)."},
        **error_responses(ExportNotReady, ExportFailed, ExportExpired),
    },
)
async def download_export(
    session: DbSession, principal: OwnerPrincipal, export_id: UUID
) -> Response:
    """The ready export's zip: a manifest, billing's data as JSON, banking's as JSON and CSV."""
    content = await service.archive_of(session, principal, export_id)
    filename = f"finance-hub-export-{export_id}.zip"
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
