"""Transactions counted per company and calendar month, against the plan's monthly limit.

What the plans promise: every transaction is synced and kept. Each month shows as many as the
plan's limit, in the order they arrived; those past it are stored but hidden (from the listing,
a transaction's page and the dashboard) until the plan allows them: a larger limit shows the
hidden ones of every month again, oldest first, up to it. A smaller one hides nothing shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from banking import publishing
from banking.accounts import repository as accounts_repository
from banking.entitlements import service as entitlements
from banking.transactions import repository as transactions
from banking.usage import repository

USAGE_CHANGED = "usage.changed"


async def count_new_transactions(
    session: AsyncSession,
    company_id: uuid.UUID,
    new_by_month: Mapping[date, Sequence[uuid.UUID]],
    limit: int | None,
) -> list[uuid.UUID]:
    """Count these new transactions in their months; the ones past the monthly limit are
    returned."""
    counts = {month: len(ids) for month, ids in new_by_month.items() if ids}
    totals = await repository.add_transactions(session, company_id, counts)
    if limit is None:
        return []
    over_limit: list[uuid.UUID] = []
    for month, total in totals.items():
        new_ids = new_by_month[month]
        before = total - len(new_ids)
        over = total - max(limit, before)
        if over > 0:
            over_limit += new_ids[-over:]
    return over_limit


def limit_notice(limit: int, month: date) -> str:
    """What the company is told once a month's transactions pass the plan's limit."""
    if limit == 0:
        return (
            f"Your company has no plan covering transactions for {month:%m/%Y}; new ones are "
            "still saved, but hidden from your transactions and dashboard. Choose a plan to see "
            "them all."
        )
    return (
        f"Your plan's {limit} transactions for {month:%m/%Y} are used up; newer ones are still "
        "saved, but hidden from your transactions and dashboard. Upgrade your plan to see them "
        "all."
    )


async def reveal_within_limit(
    session: AsyncSession, company_id: uuid.UUID, limit: int | None
) -> list[date]:
    """Show again the hidden transactions `limit` now allows, oldest first in each month; the
    months that changed. A month no longer past the limit is told again once it is."""
    hiding = await transactions.hidden_by_month(session, company_id)
    if not hiding:
        return []
    months = await repository.locked_months(session, company_id, list(hiding))
    # Counted again once the months are locked: a sync hiding more of them has committed.
    hidden = await transactions.hidden_by_month(session, company_id, [u.month for u in months])
    revealed = []
    for usage in months:
        count = hidden.get(usage.month, 0)
        room = count if limit is None else min(count, limit - (usage.transactions - count))
        if room <= 0:
            continue
        await transactions.reveal(session, company_id, usage.month, room)
        revealed.append(usage.month)
        if limit is None or usage.transactions <= limit:
            usage.limit_notice_sent_at = None
    return revealed


def usage_payload(
    company_id: uuid.UUID, month: date, bank_accounts: int, transactions: int, limit: int | None
) -> dict[str, Any]:
    """The `data` of `banking.usage.changed`, as billing reads it."""
    return publishing.UsageChanged(
        company_id=company_id,
        month=month.strftime("%Y-%m"),
        bank_accounts=bank_accounts,
        transactions_this_month=transactions,
        transactions_limit=limit,
        over_limit=limit is not None and transactions > limit,
    ).model_dump(mode="json")


async def settle(
    session: AsyncSession, company_id: uuid.UUID, months: Collection[date], now: datetime
) -> None:
    """After a sync or a change of plan: show what the plan in force now allows (a snapshot that
    raced the sync's pages included), then `report` these months and those shown again."""
    rights = await entitlements.known_entitlements(session, company_id, now)
    if rights is None:
        return
    limit = rights.transactions_per_month_limit
    revealed = await reveal_within_limit(session, company_id, limit)
    await _report(session, company_id, {*months, *revealed}, limit, now)


async def report(
    session: AsyncSession, company_id: uuid.UUID, months: Collection[date], now: datetime
) -> None:
    """Publish `banking.usage.changed` for each month against the plan in force now; tell the
    company once a month is past the limit."""
    if not months:
        return
    rights = await entitlements.known_entitlements(session, company_id, now)
    limit = rights.transactions_per_month_limit if rights is not None else None
    await _report(session, company_id, months, limit, now)


async def _report(
    session: AsyncSession,
    company_id: uuid.UUID,
    months: Collection[date],
    limit: int | None,
    now: datetime,
) -> None:
    if not months:
        return
    bank_accounts = await accounts_repository.count_active(session, company_id)
    for usage in await repository.of_months(session, company_id, months):
        month = usage.month
        payload = usage_payload(company_id, month, bank_accounts, usage.transactions, limit)
        await publishing.publish(session, USAGE_CHANGED, payload, company_id)
        if limit is not None and usage.transactions > limit and usage.limit_notice_sent_at is None:
            usage.limit_notice_sent_at = now
            await publishing.notify_company(
                session,
                company_id,
                "transaction_limit_reached",
                limit_notice(limit, month),
                month=month.strftime("%Y-%m"),
                transactions=usage.transactions,
                transactions_limit=limit,
            )
