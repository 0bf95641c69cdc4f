"""What Pluggy's transactions/updated does: the changed transactions fetched again (with no
database transaction open) and their newer versions kept, counted against the month's limit.

transactions/created only queues an incremental sync (service.queue_sync).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from banking.accounts.models import BankAccount
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime
from banking.sync.pages import Stored, company_terms, store_page
from banking.usage import service as usage


async def fetch_transactions(
    runtime: Runtime, pluggy_account_id: str, pluggy_ids: Sequence[str]
) -> list[pluggy.TransactionBatch]:
    """transactions/updated: these transactions as Pluggy has them now."""
    return [
        batch async for batch in runtime.pluggy.transactions_by_ids(pluggy_account_id, pluggy_ids)
    ]


async def keep_refetched(
    session: AsyncSession,
    runtime: Runtime,
    account: BankAccount,
    batches: Sequence[pluggy.TransactionBatch],
    now: datetime,
) -> Stored:
    """Keep the newer versions of the transactions fetched again."""
    terms = await company_terms(session, runtime, account.company_id, now)
    stored = Stored()
    for batch in batches:
        stored.add(await store_page(session, account, batch, terms))
    await usage.report(session, account.company_id, stored.months, now)
    return stored
