"""Errors of registration, log-in and sessions."""

from __future__ import annotations

from finhub_shared.errors import (
    Conflict,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class CompanyDeleted(Forbidden):
    code = "company_deleted"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"


class SessionRevoked(Unauthorized):
    code = "session_revoked"


class TooManyLoginAttempts(TooManyRequests):
    code = "too_many_login_attempts"


class WeakPassword(UnprocessableEntity):
    code = "weak_password"


class PasswordTooLong(UnprocessableEntity):
    code = "password_too_long"
