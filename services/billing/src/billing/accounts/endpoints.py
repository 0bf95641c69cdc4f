"""Registration, log-in, token refresh, and the caller's company."""

from __future__ import annotations

from fastapi import APIRouter, status

from billing.accounts import repository, service
from billing.accounts.errors import InvalidCredentials, InvalidRefreshToken
from billing.accounts.schemas import (
    CompanyMe,
    CompanyOut,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    Registration,
    Tokens,
    UserOut,
)
from billing.dependencies import DatabaseDep, Issuer, Settings
from billing.subscriptions.summary import summary_of
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound
from finhub_shared.events import utcnow

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
companies_router = APIRouter(prefix="/api/companies", tags=["companies"])


@auth_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "email_taken"},
        422: {"description": "weak password or bad email"},
    },
)
async def register(
    form: RegisterRequest, session: DbSession, settings: Settings, issuer: Issuer
) -> Registration:
    """Create a company and its owner; the company starts its trial at once."""
    registered = await service.register(
        session, form, settings=settings, issuer=issuer, now=utcnow()
    )
    return Registration(
        **registered.tokens.model_dump(),
        user=UserOut.model_validate(registered.user),
        company=CompanyOut.model_validate(registered.company),
    )


@auth_router.post(
    "/login",
    responses={
        401: {"description": "invalid_credentials"},
        429: {"description": "too_many_login_attempts"},
    },
)
async def log_in(
    form: LoginRequest, database: DatabaseDep, settings: Settings, issuer: Issuer
) -> Tokens:
    """Tokens for an email and password."""
    # Our own transaction, committed before a 401, so that the failure is counted.
    async with database.transaction() as session:
        tokens = await service.log_in(session, form, settings=settings, issuer=issuer, now=utcnow())
    if tokens is None:
        raise InvalidCredentials("The email or the password is wrong.")
    return tokens


@auth_router.post("/refresh", responses={401: {"description": "invalid_refresh_token"}})
async def refresh(
    form: RefreshRequest, database: DatabaseDep, settings: Settings, issuer: Issuer
) -> Tokens:
    """New tokens for a refresh token; each refresh token works once."""
    # Committed before a 401 too: reusing a token revokes its family, and that must stick.
    async with database.transaction() as session:
        tokens = await service.refresh(
            session, form.refresh_token, settings=settings, issuer=issuer, now=utcnow()
        )
    if tokens is None:
        raise InvalidRefreshToken("The refresh token is not valid; log in again.")
    return tokens


@companies_router.get("/me")
async def my_company(session: DbSession, principal: CurrentPrincipal) -> CompanyMe:
    """The caller's company, their role in it, and its subscription in short."""
    company = await repository.company_by_id(session, principal.company_id)
    user = await repository.user_by_id(session, principal.user_id)
    if company is None or user is None or user.company_id != company.id:
        raise NotFound("No such company.")
    return CompanyMe(
        company=CompanyOut.model_validate(company),
        user=UserOut.model_validate(user),
        role=user.role,
        subscription=await summary_of(session, company.id),
    )
