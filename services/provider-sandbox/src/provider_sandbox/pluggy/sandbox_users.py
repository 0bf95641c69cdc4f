"""Pluggy's sandbox users: the login name decides how a connection's execution ends.

From Pluggy's sandbox guide: password `password-ok` with `user-ok` succeeds; each error user gives
its execution error; any other user or password is INVALID_CREDENTIALS. `user-ok-perf-N`
multiplies the transactions by N (capped at 5000, as Pluggy does). MFA token `123456` succeeds.

Pluggy names no sandbox user for WAITING_USER_ACTION (the user must act at the institution, e.g.
authorize a new device); the sandbox's own `user-action` (password `password-ok`) waits for that
action at each login it does not start by itself (auto-syncs keep the authorization), until the
control API finishes it (`POST /_sandbox/items/{id}/user-action`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ItemStatus = Literal[
    "UPDATED", "UPDATING", "WAITING_USER_INPUT", "WAITING_USER_ACTION", "LOGIN_ERROR", "OUTDATED"
]

SANDBOX_PASSWORD = "password-ok"
SANDBOX_MFA_TOKEN = "123456"
MAX_PERF_MULTIPLIER = 5000

ERROR_USERS: dict[str, str] = {
    "user-logged": "ALREADY_LOGGED_IN",
    "user-locked": "ACCOUNT_LOCKED",
    "user-error": "UNEXPECTED_ERROR",
    "user-unavailable": "SITE_NOT_AVAILABLE",
    "user-account-need-actions": "ACCOUNT_NEEDS_ACTION",
    "user-account-need-actions-provider-message": "ACCOUNT_NEEDS_ACTION",
    "user-connection-error": "CONNECTION_ERROR",
    "user-account-credentials-reset": "ACCOUNT_CREDENTIALS_RESET",
    "user-not-supported": "USER_NOT_SUPPORTED",
}

_PERF_USER = re.compile(r"user-ok-perf-(\d+)")


@dataclass(frozen=True)
class ExecutionError:
    """How an execution ends when it fails: the item status, executionStatus and error."""

    code: str
    item_status: ItemStatus
    execution_status: str
    message: str


def _login_error(code: str, message: str) -> ExecutionError:
    # The user must fix something (credentials, the bank's app): no auto-sync until then.
    return ExecutionError(code, "LOGIN_ERROR", code, message)


def _outdated(code: str, message: str, execution_status: str | None = None) -> ExecutionError:
    # Login worked before and may work again: retryable.
    return ExecutionError(code, "OUTDATED", execution_status or code, message)


EXECUTION_ERRORS: dict[str, ExecutionError] = {
    error.code: error
    for error in (
        _login_error("INVALID_CREDENTIALS", "Invalid credentials, check your user and password"),
        _login_error("ALREADY_LOGGED_IN", "The user is already logged in at the institution"),
        _login_error("ACCOUNT_LOCKED", "The account is locked at the institution"),
        _login_error("ACCOUNT_NEEDS_ACTION", "The user must take an action at the institution"),
        _login_error("ACCOUNT_CREDENTIALS_RESET", "The user must reset their credentials"),
        _login_error("USER_NOT_SUPPORTED", "This type of user is not supported"),
        _login_error("INVALID_CREDENTIALS_MFA", "The MFA token is invalid"),
        _login_error("USER_AUTHORIZATION_NOT_GRANTED", "The user's consent was revoked"),
        _login_error(
            "USER_AUTHORIZATION_PENDING", "The user did not authorize the access at the institution"
        ),
        _outdated("UNEXPECTED_ERROR", "An unexpected error occurred", execution_status="ERROR"),
        _outdated("SITE_NOT_AVAILABLE", "The institution's site is not available right now"),
        _outdated("CONNECTION_ERROR", "There was a connection error with the institution"),
        _outdated("USER_INPUT_TIMEOUT", "The user did not answer the MFA prompt in time"),
    )
}

NEEDS_ACTION_PROVIDER_MESSAGE = "Acesse o app do banco e aceite os novos termos de uso."


@dataclass(frozen=True)
class SandboxLogin:
    """What a sandbox login leads to."""

    error: ExecutionError | None = None
    provider_message: str | None = None
    accounts_fail: bool = False
    accounts_warning: bool = False
    perf_multiplier: int = 1
    needs_user_action: bool = False

    @property
    def succeeds(self) -> bool:
        """Whether the credentials are accepted."""
        return self.error is None


def login_for(user: str, password: str) -> SandboxLogin:
    """The outcome of logging in with these sandbox credentials."""
    if password != SANDBOX_PASSWORD:
        return SandboxLogin(EXECUTION_ERRORS["INVALID_CREDENTIALS"])
    if user == "user-ok":
        return SandboxLogin()
    if user == "user-ok-account-error":
        return SandboxLogin(accounts_fail=True)
    if user == "user-ok-account-warning":
        return SandboxLogin(accounts_warning=True)
    if user == "user-action":
        return SandboxLogin(needs_user_action=True)
    perf = _PERF_USER.fullmatch(user)
    if perf:
        return SandboxLogin(perf_multiplier=max(1, min(int(perf[1]), MAX_PERF_MULTIPLIER)))
    code = ERROR_USERS.get(user, "INVALID_CREDENTIALS")
    message = NEEDS_ACTION_PROVIDER_MESSAGE if user.endswith("-provider-message") else None
    return SandboxLogin(EXECUTION_ERRORS[code], provider_message=message)
