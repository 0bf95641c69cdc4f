"""Writing the audit log; every change it covers calls `record` in the transaction that makes it.

Actions, by family: `connection.created` / `.reconnected` / `.removed` / `.consent_revoked`,
`data.deleted`, `pix.payment_created` / `.payment_scheduled` / `.payment_cancelled` /
`.mandate_created` / `.mandate_revoked` / `.cycle_scheduled` / `.cycle_cancelled`,
`rule.created` / `.updated` / `.applied` / `.deleted`, `transaction.category_changed` /
`.suggestions_applied`, `learning.auto_apply_changed`.
"""

from __future__ import annotations

from banking.audit.models import AuditEntry
from finhub_shared.audit import AuditLog, event_actor, job_actor, user_actor

__all__ = ["AUDIT_LOG", "event_actor", "job_actor", "record", "user_actor"]

AUDIT_LOG = AuditLog(AuditEntry)
record = AUDIT_LOG.record
