"""Why a page could not be shown as asked; each becomes a clear page, never a stack trace."""

from __future__ import annotations


class LoginRequired(Exception):
    """No user session, or the services no longer accept it: the user logs in again."""


class AdminLoginRequired(Exception):
    """No operator session, or the gateway refused its admin token."""


class CsrfRejected(Exception):
    """A form came without this session's anti-forgery token."""


class ServiceUnreachable(Exception):
    """A service did not answer (down, or slower than CONSOLE_SERVICE_TIMEOUT_SECONDS)."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} did not answer")
        self.service = service


class ServiceFailed(Exception):
    """A service answered with an error: its status, stable code and message."""

    def __init__(self, service: str, status_code: int, code: str, message: str) -> None:
        super().__init__(f"{service} answered {status_code} {code}: {message}")
        self.service = service
        self.status_code = status_code
        self.code = code
        self.message = message


class InvalidInput(Exception):
    """A field of a form or a query is not what it must be (a day that is no day)."""
