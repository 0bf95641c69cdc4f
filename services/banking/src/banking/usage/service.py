"""Transactions counted per company and month; past the plan's limit they are flagged."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.accounts import repository as accounts_repository
from banking.usage import repository

USAGE_CHANGED = "usage.changed"


async def count_new_transactions(
    session: AsyncSession,
    company_id: uuid.UUID,
    month: date,
    new_ids: Sequence[uuid.UUID],
    limit: int | None,
) -> list[uuid.UUID]:
    """Count these new transactions of `month`; the ones past the monthly limit are returned."""
    total = await repository.add_transactions(session, company_id, month, len(new_ids))
    if limit is None or total <= limit:
        return []
    before = total - len(new_ids)
    over = total - max(limit, before)
    return list(new_ids[-over:])


def usage_payload(
    company_id: uuid.UUID, month: date, bank_accounts: int, transactions: int, limit: int | None
) -> dict[str, Any]:
    """The `data` of `banking.usage.changed`, as billing reads it."""
    return {
        "company_id": str(company_id),
        "month": month.strftime("%Y-%m"),
        "bank_accounts": bank_accounts,
        "transactions_this_month": transactions,
        "transactions_limit": limit,
        "over_limit": limit is not None and transactions > limit,
    }


async def report(
    session: AsyncSession,
    company_id: uuid.UUID,
    months: Collection[date],
    limit: int | None,
    now: datetime,
) -> None:
    """Publish `banking.usage.changed` for each month; tell the company once it is over."""
    bank_accounts = await accounts_repository.count_active(session, company_id)
    for month in sorted(months):
        usage = await repository.get(session, company_id, month)
        if usage is None:
            continue
        over_limit = limit is not None and usage.transactions > limit
        payload = usage_payload(company_id, month, bank_accounts, usage.transactions, limit)
        await publishing.publish(session, USAGE_CHANGED, payload, company_id)
        if over_limit and usage.limit_notice_sent_at is None:
            usage.limit_notice_sent_at = now
            await publishing.notify_company(
                session,
                company_id,
                "transaction_limit_reached",
                f"Your plan's {limit} transactions for {month:%m/%Y} are used up; new "
                "transactions are still saved but flagged. Upgrade to see them all.",
                month=month.strftime("%Y-%m"),
                transactions=usage.transactions,
                transactions_limit=limit,
            )
