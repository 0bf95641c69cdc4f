"""What `finhub-banking`'s own commands do: sync an account now, list a company's items."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from banking import runtime
from banking.accounts import repository as accounts
from banking.config import get_settings
from banking.items import service as items
from banking.items.schemas import ItemRead
from banking.pluggy import client_for, worker_retry
from banking.sync import models as jobs
from banking.sync import repository as sync_jobs
from banking.sync import service as sync
from finhub_shared.auth import Principal
from finhub_shared.db import Database
from finhub_shared.errors import NotFound
from finhub_shared.events import utcnow


@dataclass(frozen=True)
class SyncReport:
    account_id: uuid.UUID
    status: str
    created: int
    updated: int
    skipped: int
    error: str | None


@asynccontextmanager
async def opened(
    pluggy_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[tuple[Database, runtime.Runtime]]:
    """The database and a runtime with a Pluggy client, for one command."""
    settings = get_settings()
    database = Database(settings.database_url.get_secret_value(), application_name="banking-cli")
    pluggy = client_for(settings, worker_retry(settings), pluggy_transport)
    try:
        yield database, runtime.Runtime(settings=settings, database=database, pluggy=pluggy)
    finally:
        await pluggy.aclose()
        await database.dispose()


async def sync_account_now(
    account_id: uuid.UUID, pluggy_transport: httpx.AsyncBaseTransport | None = None
) -> SyncReport:
    """Sync the account here and now (not through the work queue) and report what changed."""
    async with opened(pluggy_transport) as (database, current):
        async with database.transaction() as session:
            account = await accounts.get(session, account_id)
            if account is None:
                raise NotFound(f"No account {account_id}.")
            job = await sync.new_job(session, account, jobs.TRIGGER_COMMAND_LINE)
        await sync.run_job(database, current, job.id, utcnow)
        async with database.sessions() as session:
            done = await sync_jobs.get(session, job.id)
        return SyncReport(
            account_id,
            done.status,
            done.created_count,
            done.updated_count,
            done.skipped_count,
            done.error,
        )


async def company_items(
    company_id: uuid.UUID, pluggy_transport: httpx.AsyncBaseTransport | None = None
) -> list[ItemRead]:
    """The company's items, with their status and the action each needs."""
    # An operator looks on the company's behalf, with the same scoping as its users.
    operator = Principal(
        user_id=uuid.UUID(int=0), company_id=company_id, role="owner", token_id="cli"
    )
    async with opened(pluggy_transport) as (database, current), database.sessions() as session:
        return await items.list_items(session, current, operator, utcnow())
