"""Why an operator's request was refused."""

from __future__ import annotations

from finhub_shared.errors import BadRequest, Conflict, NotFound, Unauthorized


class AdminTokenRequired(Unauthorized):
    code = "unauthorized"


class EventNotFound(NotFound):
    code = "event_not_found"


class ReplayTooLarge(BadRequest):
    code = "replay_too_large"


class InvalidDateRange(BadRequest):
    code = "invalid_date_range"


class EventIgnored(Conflict):
    code = "event_ignored"


class EventErased(Conflict):
    code = "event_erased"
