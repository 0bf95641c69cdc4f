"""A company's data exports: asked by its owner, gathered from billing and banking, kept a while."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.auth import CompanyOwned

# Waiting for banking's part; ready to download; failed (banking never answered); expired (the
# archive is deleted once it has been kept long enough).
PENDING = "pending"
READY = "ready"
FAILED = "failed"
EXPIRED = "expired"


class DataExport(CompanyOwned, Base):
    __tablename__ = "data_exports"
    __table_args__ = (
        # One export at a time per company.
        Index(
            "uq_data_exports_one_pending_per_company",
            "company_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    company_id: Mapped[UUID] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime]
    # When it became ready or failed.
    finished_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(100))
    # The zip, read only for a download (a status never loads it); deleted at `expires_at`.
    archive: Mapped[bytes | None] = mapped_column(
        LargeBinary, deferred=True, deferred_raiseload=True
    )
    archive_size: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None]
