"""What banking's endpoints take from the running app: its runtime, its database and its clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from banking.runtime import Runtime
from finhub_shared.db import Database


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


def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


# The time of day as the app tells it (`utcnow`; tests set `app.state.clock` to move it).
Clock = Annotated[Callable[[], datetime], Depends(_clock)]
