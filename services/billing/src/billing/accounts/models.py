"""Companies, their users, and what log-in keeps: refresh tokens and recent attempts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned

# Company.status while anyone may log in (billing.erasure moves it on and names the others).
ACTIVE_COMPANY = "active"


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set when an issuer reports one of the company's charges as fraud.
    fraud_flagged_at: Mapped[datetime | None]
    # active, deleting (its owner asked to erase it: no one logs in) or erased (a tombstone kept
    # for the fiscal records and the deletion's audit; see billing.erasure).
    status: Mapped[str] = mapped_column(String(20), server_default="active")


class User(CompanyOwned, Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # Stored lower-cased, so one address cannot register twice in another case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One refresh token; only its hash is kept. Tokens rotated from one log-in share a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Recent log-in attempts for an email from one client address, or from any (address "*").

    An attempt is counted before its password is checked and forgiven when it succeeds, so
    concurrent guesses cannot all slip through; past the free ones each attempt waits longer.
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int]
    last_attempt_at: Mapped[datetime]
    # No attempt is checked before this time.
    next_attempt_at: Mapped[datetime]
