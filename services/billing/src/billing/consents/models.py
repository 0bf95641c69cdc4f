"""Consents: which version of each legal document a user accepted, when, and from where."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, ForeignKey, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned


class Consent(CompanyOwned, Base):
    """One acceptance of one version of a document: a new version accepted later is a new row."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # terms_of_use or privacy_policy.
    document: Mapped[str] = mapped_column(String(30))
    version: Mapped[str] = mapped_column(String(50))
    accepted_at: Mapped[datetime]
    # The client's address as the API saw it (behind the ingress: the forwarded one).
    client_address: Mapped[str] = mapped_column(String(64))
