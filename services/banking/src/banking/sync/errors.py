"""Why an account cannot be synced now; and the sync's own signals, never answered over HTTP."""

from __future__ import annotations

from finhub_shared.errors import Conflict


class ReconnectRequired(Conflict):
    """The bank refused the log-in (or consent is gone): the user must reconnect first."""

    code = "reconnect_required"


class MfaRequired(Conflict):
    """The bank waits for the user's MFA answer."""

    code = "mfa_required"


class TakenOver(Exception):
    """The job is no longer this run's: given up, or run again after this one seemed stalled."""


class Unstorable(Exception):
    """The transaction cannot be stored even once cleaned; `reason` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
