"""GET /api/payments/audit: the company's audit log, for its owners and admins."""

from __future__ import annotations

from billing.audit.service import AUDIT_LOG

router = AUDIT_LOG.router("/api/payments", "billing")
