"""Writing the audit log; every state change calls `record` in the transaction that makes it."""

from __future__ import annotations

from billing.audit.models import AuditEntry
from finhub_shared.audit import AuditLog, event_actor, job_actor, user_actor

__all__ = ["AUDIT_LOG", "event_actor", "job_actor", "record", "user_actor"]

AUDIT_LOG = AuditLog(AuditEntry)
record = AUDIT_LOG.record
