"""Registration, log-in with a limit on failures, and refresh tokens rotated on every use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from uuid import UUID, uuid4

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository, security
from billing.accounts.errors import EmailTaken, TooManyLoginAttempts
from billing.accounts.models import Company, RefreshToken, User
from billing.accounts.schemas import LoginRequest, RegisterRequest, Tokens
from billing.audit.service import user_actor
from billing.config import BillingSettings
from billing.subscriptions import service as subscriptions
from finhub_shared.auth import TokenIssuer

OWNER = "owner"


@dataclass(frozen=True)
class Registered:
    user: User
    company: Company
    tokens: Tokens


async def register(
    session: AsyncSession,
    form: RegisterRequest,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Registered:
    """A new company with its owner, on trial from now, and the owner's first tokens."""
    security.check_new_password(form.password, form.email)
    if await repository.user_by_email(session, form.email) is not None:
        raise EmailTaken("An account with this email already exists.")
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
    await subscriptions.start_trial(
        session, company.id, trial_days=settings.trial_days, now=now, actor=user_actor(user.id)
    )
    tokens = await issue_tokens(session, user, issuer=issuer, settings=settings, now=now)
    return Registered(user=user, company=company, tokens=tokens)


async def issue_tokens(
    session: AsyncSession,
    user: User,
    *,
    issuer: TokenIssuer,
    settings: BillingSettings,
    now: datetime,
    family_id: UUID | None = None,
) -> Tokens:
    """A new access token and refresh token; `family_id` continues a rotated family."""
    access = issuer.issue(user_id=user.id, company_id=user.company_id, role=user.role)
    refresh = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid4(),
            token_hash=security.refresh_token_hash(refresh),
            expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await session.flush()
    return Tokens(
        access_token=access.token,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        access_token_expires_at=access.expires_at,
    )


async def log_in(
    session: AsyncSession,
    form: LoginRequest,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Tokens | None:
    """Tokens for the right password; None (failure recorded) for wrong credentials.

    Raises TooManyLoginAttempts once the email has failed too often lately, whatever the password.
    The caller commits before answering, so a failure is counted even though the request fails.
    """
    window = timedelta(seconds=settings.login_window_seconds)
    failures, oldest = await repository.recent_failures(session, form.email, now - window)
    if failures >= settings.login_max_failures and oldest is not None:
        retry_after = max(1, ceil((oldest + window - now).total_seconds()))
        raise TooManyLoginAttempts(
            "Too many failed log-ins for this email; try again later.",
            retry_after_seconds=retry_after,
        )
    user = await repository.user_by_email(session, form.email)
    if len(form.password) > security.MAX_PASSWORD_LENGTH:
        user = None
    if user is None:
        await security.spend_verification_time(form.password)
    if user is None or not await security.password_matches(user.password_hash, form.password):
        await repository.record_failure(session, form.email, now, forget_before=now - window)
        return None
    await repository.clear_failures(session, form.email)
    if security.needs_rehash(user.password_hash):
        user.password_hash = await security.hash_password(form.password)
    user.last_login_at = now
    return await issue_tokens(session, user, issuer=issuer, settings=settings, now=now)


async def refresh(
    session: AsyncSession,
    refresh_token: str,
    *,
    settings: BillingSettings,
    issuer: TokenIssuer,
    now: datetime,
) -> Tokens | None:
    """New tokens for a valid refresh token, which is used up; None if it cannot be used.

    A token used a second time means it was copied: its whole family is revoked, so neither
    the thief nor the user can continue without logging in again. The caller commits either way.
    """
    stored = await repository.refresh_token_for_update(
        session, security.refresh_token_hash(refresh_token)
    )
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
        return None
    if stored.used_at is not None:
        await repository.revoke_family(session, stored.family_id, now)
        return None
    user = await repository.user_by_id(session, stored.user_id)
    if user is None:
        return None
    stored.used_at = now
    return await issue_tokens(
        session, user, issuer=issuer, settings=settings, now=now, family_id=stored.family_id
    )
