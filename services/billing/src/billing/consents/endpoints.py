"""The legal documents in force, and the caller's consents to them."""

from __future__ import annotations

from fastapi import APIRouter

from billing.consents import service
from billing.consents.errors import ConsentOutdated, ConsentRequired
from billing.consents.schemas import Acceptance, Consents, LegalVersions
from billing.dependencies import ClientAddress, Clock, Settings
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import error_responses

router = APIRouter(tags=["consents"])


@router.get("/api/auth/legal-documents")
async def legal_documents(settings: Settings) -> LegalVersions:
    """The versions of the terms of use and the privacy policy a sign-up accepts."""
    return service.current_versions(settings)


@router.get("/api/companies/me/consents")
async def my_consents(
    session: DbSession, principal: CurrentPrincipal, settings: Settings
) -> Consents:
    """The caller's consents (which version of each document, when, from which address)."""
    return await service.of_user(session, principal.user_id, settings)


# Any role: each user accepts for themselves.
@router.post(
    "/api/companies/me/consents", responses=error_responses(ConsentRequired, ConsentOutdated)
)
async def accept_documents(
    form: Acceptance,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: Settings,
    address: ClientAddress,
    clock: Clock,
) -> Consents:
    """Accept the terms of use and the privacy policy in force (when a new version came out),
    naming their versions as GET /api/auth/legal-documents does."""
    return await service.accept(
        session, principal, form, settings, client_address=address, now=clock()
    )
