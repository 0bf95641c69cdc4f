"""GET /api/banking/audit: the company's audit log, for its owners and admins."""

from __future__ import annotations

from banking.audit.service import AUDIT_LOG

router = AUDIT_LOG.router("/api/banking", "banking")
