"""Registration, log-in with growing delays after failures, and sessions: refresh tokens rotated
on every use within a log-in's fixed lifetime, log-out here or everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from uuid import UUID, uuid4, uuid5

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository, security
from billing.accounts.errors import CompanyDeleted, EmailTaken, TooManyLoginAttempts
from billing.accounts.models import ACTIVE_COMPANY, Company, RefreshToken, User
from billing.accounts.schemas import LoginRequest, RegisterRequest, Tokens
from billing.audit.service import user_actor
from billing.config import BillingSettings
from billing.consents import service as consents
from billing.publishing import SESSION_REVOKED, publish, session_revoked_data
from billing.subscriptions import service as subscriptions
from finhub_shared.auth import Principal, TokenIssuer

OWNER = "owner"
# The throttle of an email counting attempts from every address.
ANY_ADDRESS = "*"
# Access token ids are derived from their refresh token in this namespace (see `_tokens`).
_ACCESS_TOKEN_IDS = UUID("0f6f3c1e-6a55-4c39-9d1b-6a4f4b0e2c11")


@dataclass(frozen=True)
class Registered:
    user: User
    company: Company
    tokens: Tokens


async def register(
    session: AsyncSession,
    form: RegisterRequest,
    client_address: str,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Registered:
    """A new company with its owner, who accepted the legal documents in force from
    `client_address`, on trial from now, and the owner's first tokens."""
    security.check_new_password(form.password, form.email)
    if await repository.user_by_email(session, form.email) is not None:
        raise EmailTaken("An account with this email already exists.")
    accepted = consents.check_acceptance(form.accepted, settings)
    company = Company(id=uuid4(), name=form.company_name)
    user = User(
        id=uuid4(),
        company_id=company.id,
        email=form.email,
        name=form.name,
        password_hash=await security.hash_password(form.password),
        role=OWNER,
    )
    session.add(company)
    await session.flush()
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        # Another registration with the same email committed in between.
        raise EmailTaken("An account with this email already exists.") from None
    await consents.record(
        session, company.id, user.id, accepted, client_address=client_address, now=now
    )
    await subscriptions.start_trial(
        session, company.id, trial_days=settings.trial_days, now=now, actor=user_actor(user.id)
    )
    tokens = await start_session(session, user, issuer=issuer, settings=settings, now=now)
    return Registered(user=user, company=company, tokens=tokens)


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    issuer: TokenIssuer,
    settings: BillingSettings,
    now: datetime,
) -> Tokens:
    """A new log-in and its first tokens: a refresh token family that ends
    `refresh_token_ttl_days` from now, however often it is rotated."""
    refresh_token = security.new_refresh_token()
    family_id = uuid4()
    ends_at = now + timedelta(days=settings.refresh_token_ttl_days)
    await _keep_refresh_token(session, user.id, refresh_token, family_id, ends_at)
    return _tokens(user, refresh_token, family_id, issued_at=now, issuer=issuer, settings=settings)


async def _keep_refresh_token(
    session: AsyncSession, user_id: UUID, token: str, family_id: UUID, expires_at: datetime
) -> None:
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=security.refresh_token_hash(token),
            expires_at=expires_at,
        )
    )
    await session.flush()


def _tokens(
    user: User,
    refresh_token: str,
    family_id: UUID,
    *,
    issued_at: datetime,
    issuer: TokenIssuer,
    settings: BillingSettings,
) -> Tokens:
    """The answer carrying `refresh_token`, with an access token derived from it: the same refresh
    token issued at the same time always gives the very same answer."""
    access = issuer.issue(
        user_id=user.id,
        company_id=user.company_id,
        role=user.role,
        session_id=family_id,
        issued_at=issued_at,
        token_id=str(uuid5(_ACCESS_TOKEN_IDS, security.refresh_token_hash(refresh_token))),
    )
    return Tokens(
        access_token=access.token,
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_seconds,
        access_token_expires_at=access.expires_at,
    )


def throttled_addresses(client_address: str) -> list[str]:
    """The throttles an attempt from this address counts in: its own and the email's overall,
    in the order they are locked."""
    return sorted({client_address, ANY_ADDRESS})


async def admit_login(
    session: AsyncSession,
    form: LoginRequest,
    client_address: str,
    *,
    settings: BillingSettings,
    now: datetime,
) -> None:
    """Count a log-in attempt for the email from this address before its password is checked, or
    raise TooManyLoginAttempts (nothing counted) while the email must wait.

    The throttles stay locked until the caller commits, so concurrent attempts are counted one at a
    time and none is checked once the free ones are spent; a success forgives them (`log_in`).
    """
    security.check_password_length(form.password)
    throttles = await repository.throttles_for_update(
        session, form.email, throttled_addresses(client_address), now
    )
    forget_before = now - timedelta(seconds=settings.login_window_seconds)
    for throttle in throttles:
        if throttle.last_attempt_at <= forget_before:
            throttle.attempts, throttle.next_attempt_at = 0, now
    wait_until = max(throttle.next_attempt_at for throttle in throttles)
    if wait_until > now:
        raise TooManyLoginAttempts(
            "Too many failed log-ins for this email; try again later.",
            retry_after_seconds=max(1, ceil((wait_until - now).total_seconds())),
        )
    for throttle in throttles:
        free = (
            settings.login_account_max_failures
            if throttle.client_address == ANY_ADDRESS
            else settings.login_max_failures
        )
        throttle.attempts += 1
        throttle.last_attempt_at = now
        throttle.next_attempt_at = now + _delay_after(throttle.attempts, free, settings)


def _delay_after(attempts: int, free: int, settings: BillingSettings) -> timedelta:
    """How long the next attempt waits: nothing within the free attempts, then the base delay
    doubled per further failure, never more than the cap (a stranger cannot lock a user out)."""
    if attempts < free:
        return timedelta(0)
    doublings = min(attempts - free, 32)
    seconds = settings.login_delay_base_seconds * 2**doublings
    return timedelta(seconds=min(seconds, settings.login_delay_cap_seconds))


async def log_in(
    session: AsyncSession,
    form: LoginRequest,
    client_address: str,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Tokens | None:
    """Tokens for the right password, the email's counted attempts forgiven; None for wrong
    credentials (the attempt stays counted). Call `admit_login` first, in its own transaction."""
    user = await repository.user_by_email(session, form.email)
    if user is None:
        await security.spend_verification_time(form.password)
    if user is None or not await security.password_matches(user.password_hash, form.password):
        return None
    company = await repository.company_by_id(session, user.company_id)
    if company is None or company.status != ACTIVE_COMPANY:
        raise CompanyDeleted("This company is being deleted; no one can log in to it any more.")
    await repository.forget_attempts(session, form.email, throttled_addresses(client_address))
    if security.needs_rehash(user.password_hash):
        user.password_hash = await security.hash_password(form.password)
    user.last_login_at = now
    return await start_session(session, user, issuer=issuer, settings=settings, now=now)


async def refresh(
    session: AsyncSession,
    refresh_token: str,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Tokens | None:
    """New tokens for a valid refresh token, which is used up; None if it cannot be used.

    The new refresh token ends when its log-in ends. The same token presented again within the
    grace gets the same new tokens (the first answer was lost); later, it means the token was
    copied: its whole family is revoked, so neither the thief nor the user can go on without
    logging in again. The caller commits either way.
    """
    stored = await repository.refresh_token_for_update(
        session, security.refresh_token_hash(refresh_token)
    )
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        return None
    user = await repository.user_by_id(session, stored.user_id)
    if user is None:
        return None
    successor = security.successor_refresh_token(
        refresh_token, security.rotation_key(settings.jwt_private_key_pem)
    )
    if stored.used_at is None:
        stored.used_at = now
        await _keep_refresh_token(session, user.id, successor, stored.family_id, stored.expires_at)
        issued_at = now
    elif now - stored.used_at <= timedelta(seconds=settings.refresh_reuse_grace_seconds):
        issued_at = stored.used_at
    else:
        await repository.revoke_family(session, stored.family_id, now)
        await _announce_log_out(session, user.id, user.company_id, stored.family_id)
        return None
    return _tokens(
        user, successor, stored.family_id, issued_at=issued_at, issuer=issuer, settings=settings
    )


async def log_out(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """End the caller's log-in: its refresh tokens, and on billing its access tokens, stop."""
    if principal.session_id is not None:
        await repository.revoke_family(session, principal.session_id, now)
        await _announce_log_out(
            session, principal.user_id, principal.company_id, principal.session_id
        )


async def log_out_everywhere(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """End every log-in of the caller, this one included."""
    await repository.revoke_user_families(session, principal.user_id, now)
    await _announce_log_out(session, principal.user_id, principal.company_id, None)


async def _announce_log_out(
    session: AsyncSession, user_id: UUID, company_id: UUID, session_id: UUID | None
) -> None:
    """Tell the other services (the live stream) that a log-in ended: None means every one."""
    await publish(session, SESSION_REVOKED, session_revoked_data(user_id, session_id), company_id)
