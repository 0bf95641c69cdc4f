"""Why an account cannot be synced now."""

from __future__ import annotations

from finhub_shared.errors import Conflict


class ReconnectRequired(Conflict):
    """The bank refused the log-in (or consent is gone): the user must reconnect first."""

    code = "reconnect_required"


class MfaRequired(Conflict):
    """The bank waits for the user's MFA answer."""

    code = "mfa_required"
