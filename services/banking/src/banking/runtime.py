"""What banking's services need besides a session: the Pluggy client and the settings.

The API keeps one `Runtime` in `app.state` (the `BankingRuntime` dependency); the worker installs
one for the process with `installed`, where bus handlers, whose signature is fixed at
(session, envelope), find it with `current()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from banking.config import BankingSettings
from banking.entitlements.schemas import TrialTerms
from banking.items.mfa import MfaCipher
from banking.pluggy import PluggyClient
from finhub_shared.db import Database


@dataclass(frozen=True)
class Runtime:
    settings: BankingSettings
    pluggy: PluggyClient
    mfa_cipher: MfaCipher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mfa_cipher", MfaCipher(self.settings.mfa_encryption_key))

    @property
    def trial_terms(self) -> TrialTerms:
        """What a company billing has not told us about gets."""
        return TrialTerms(
            days=self.settings.trial_days,
            bank_accounts=self.settings.trial_bank_accounts,
            transactions_per_month=self.settings.trial_transactions_per_month,
        )


_installed: Runtime | None = None


@contextmanager
def installed(runtime: Runtime) -> Iterator[Runtime]:
    """Make `runtime` the process's own for the duration of the block (the worker, a test)."""
    global _installed
    previous, _installed = _installed, runtime
    try:
        yield runtime
    finally:
        _installed = previous


def current() -> Runtime:
    """The process's runtime; bus handlers call this."""
    if _installed is None:
        raise RuntimeError("no banking runtime installed; the worker installs it at start-up")
    return _installed


def _request_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


BankingRuntime = Annotated[Runtime, Depends(_request_runtime)]


def _request_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# For routes that call Pluggy: they read, call and write in short transactions of their own
# rather than hold the request's `DbSession` open across the call.
BankingDatabase = Annotated[Database, Depends(_request_database)]
