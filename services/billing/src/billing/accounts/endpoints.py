"""Registration, log-in, token refresh, log-out, and the caller's company."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from billing.accounts import repository, service
from billing.accounts.errors import (
    CompanyDeleted,
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    PasswordTooLong,
    SessionRevoked,
    TooManyLoginAttempts,
    WeakPassword,
)
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
from billing.consents.errors import ConsentOutdated, ConsentRequired
from billing.dependencies import ClientAddress, Clock, DatabaseDep, Issuer, Settings
from billing.subscriptions.summary import summary_of
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
companies_router = APIRouter(prefix="/api/companies", tags=["companies"])


@auth_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        EmailTaken, WeakPassword, PasswordTooLong, ConsentRequired, ConsentOutdated
    ),
)
async def register(
    form: RegisterRequest,
    address: ClientAddress,
    session: DbSession,
    settings: Settings,
    issuer: Issuer,
    clock: Clock,
) -> Registration:
    """Create a company and its owner, who accepts the terms of use and the privacy policy in
    force; the company starts its trial at once."""
    registered = await service.register(
        session,
        form,
        address,
        settings=settings,
        issuer=issuer,
        now=clock(),
    )
    return Registration(
        **registered.tokens.model_dump(),
        user=UserOut.model_validate(registered.user),
        company=CompanyOut.model_validate(registered.company),
    )


@auth_router.post(
    "/login",
    responses=error_responses(
        InvalidCredentials, PasswordTooLong, TooManyLoginAttempts, CompanyDeleted
    ),
)
async def log_in(
    form: LoginRequest,
    address: ClientAddress,
    database: DatabaseDep,
    settings: Settings,
    issuer: Issuer,
    clock: Clock,
) -> Tokens:
    """Tokens for an email and password; after repeated failures each attempt waits longer."""
    now = clock()
    # The attempt is counted and committed before the password is checked (and before a 401).
    async with database.transaction() as session:
        await service.admit_login(session, form, address, settings=settings, now=now)
    async with database.transaction() as session:
        tokens = await service.log_in(
            session, form, address, settings=settings, issuer=issuer, now=now
        )
    if tokens is None:
        raise InvalidCredentials("The email or the password is wrong.")
    return tokens


@auth_router.post("/refresh", responses=error_responses(InvalidRefreshToken))
async def refresh(
    form: RefreshRequest, database: DatabaseDep, settings: Settings, issuer: Issuer, clock: Clock
) -> Tokens:
    """New tokens for a refresh token; each works once (a retry within seconds gets the same
    answer again), and none outlives its log-in."""
    # Committed before a 401 too: reusing a token revokes its family, and that must stick.
    async with database.transaction() as session:
        tokens = await service.refresh(
            session, form.refresh_token, settings=settings, issuer=issuer, now=clock()
        )
    if tokens is None:
        raise InvalidRefreshToken("The refresh token is not valid; log in again.")
    return tokens


# Log-out is open to every role: it changes only the caller's own sessions.
@auth_router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(SessionRevoked),
)
async def log_out(session: DbSession, principal: CurrentPrincipal, clock: Clock) -> Response:
    """End this session: its refresh token stops working, and its access token on billing."""
    await service.log_out(session, principal, clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post(
    "/logout-everywhere",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(SessionRevoked),
)
async def log_out_everywhere(
    session: DbSession, principal: CurrentPrincipal, clock: Clock
) -> Response:
    """End every session of the caller, on every device, this one included."""
    await service.log_out_everywhere(session, principal, clock())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
