"""Errors of the company's data exports."""

from __future__ import annotations

from finhub_shared.errors import Conflict, FinhubError


class ExportInProgress(Conflict):
    code = "export_in_progress"


class ExportNotReady(Conflict):
    code = "export_not_ready"


class ExportFailed(Conflict):
    code = "export_failed"


class ExportExpired(FinhubError):
    status_code = 410
    code = "export_expired"
