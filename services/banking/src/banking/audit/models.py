"""The audit log: every change a user, a Pluggy event or a job made, before and after."""

from __future__ import annotations

from banking.database import Base
from finhub_shared.audit import AuditColumns


class AuditEntry(AuditColumns, Base):
    __tablename__ = "audit_log"
