"""What Pluggy's transactions/deleted does: the listed transactions are deleted here once Pluggy
confirms they are gone (the event is not signed).

Pluggy is asked with no database transaction open; the deletion is its own short transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts import repository as accounts
from banking.audit import service as audit
from banking.items.metrics import UNCONFIRMED_DELETIONS
from banking.runtime import Runtime
from banking.transactions import repository
from finhub_shared.db import Database

log = structlog.get_logger(__name__)


async def confirm_deleted(
    database: Database, runtime: Runtime, pluggy_account_id: str, pluggy_ids: Sequence[str]
) -> list[str]:
    """transactions/deleted (not signed): of the listed transactions stored here, those Pluggy
    no longer has (all of them when Pluggy no longer has the account)."""
    async with database.transaction() as session:
        account = await accounts.by_pluggy_id(session, pluggy_account_id)
        stored = (
            await repository.stored_pluggy_ids(session, account.id, pluggy_ids) if account else []
        )
    if not stored or await runtime.pluggy.get_account(pluggy_account_id) is None:
        return stored
    existing = await runtime.pluggy.existing_transaction_ids(pluggy_account_id, stored)
    if existing:
        UNCONFIRMED_DELETIONS.labels("transactions/deleted").inc()
        log.warning(
            "pluggy_deletion_unconfirmed",
            deletion_event="transactions/deleted",
            pluggy_account_id=pluggy_account_id,
            still_at_pluggy=len(existing),
        )
    return [pluggy_id for pluggy_id in stored if pluggy_id not in existing]


async def delete_confirmed(
    session: AsyncSession, pluggy_account_id: str, pluggy_ids: Sequence[str], event_id: str
) -> int:
    """Delete the transactions Pluggy confirmed gone (event `event_id`, audited); returns how
    many were still here."""
    account = await accounts.by_pluggy_id(session, pluggy_account_id)
    if account is None:
        return 0
    deleted = await repository.delete_by_pluggy_ids(session, account.id, pluggy_ids)
    if deleted:
        await audit.record(
            session,
            account.company_id,
            actor=audit.event_actor("pluggy", event_id),
            action="data.deleted",
            after={"account_id": str(account.id), "transactions": deleted},
        )
    return deleted
