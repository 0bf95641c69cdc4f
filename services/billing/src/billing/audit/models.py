"""The audit log: every change of billing state, who or what made it, before and after."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from billing.database import Base
from finhub_shared.audit import AuditColumns


class AuditEntry(AuditColumns, Base):
    __tablename__ = "audit_log"

    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
