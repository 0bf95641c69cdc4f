"""Queries of the entitlements table."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking.entitlements.models import SOURCE_ASSUMED_TRIAL, SOURCE_BILLING, CompanyEntitlement
from banking.entitlements.schemas import EntitlementsSnapshot, TrialTerms
from finhub_shared import queries


async def get(session: AsyncSession, company_id: UUID) -> CompanyEntitlement | None:
    """The company's row, if billing or a first request created it."""
    return await session.get(CompanyEntitlement, company_id)


async def get_or_start_trial(
    session: AsyncSession, company_id: UUID, terms: TrialTerms, now: datetime, *, lock: bool = False
) -> CompanyEntitlement:
    """The company's row, created as an assumed trial starting `now` when there is none; with
    `lock`, held until the transaction ends."""
    await session.execute(
        insert(CompanyEntitlement)
        .values(
            company_id=company_id,
            plan=None,
            status="trial",
            bank_accounts_limit=terms.bank_accounts,
            transactions_per_month_limit=terms.transactions_per_month,
            valid_until=now + timedelta(days=terms.days),
            insights=terms.insights,
            source=SOURCE_ASSUMED_TRIAL,
            snapshot_at=now,
        )
        .on_conflict_do_nothing(index_elements=[CompanyEntitlement.company_id])
    )
    if lock:
        row = await queries.get_for_update(session, CompanyEntitlement, company_id)
    else:
        row = await session.get(CompanyEntitlement, company_id, populate_existing=True)
    assert row is not None  # inserted above, or there before
    return row


def trial_row(company_id: UUID, terms: TrialTerms, now: datetime) -> CompanyEntitlement:
    """The row a trial starting `now` would store (not added to the session)."""
    return CompanyEntitlement(
        company_id=company_id,
        plan=None,
        status="trial",
        bank_accounts_limit=terms.bank_accounts,
        transactions_per_month_limit=terms.transactions_per_month,
        valid_until=now + timedelta(days=terms.days),
        insights=terms.insights,
        insight_plans={},
        source=SOURCE_ASSUMED_TRIAL,
        snapshot_at=now,
    )


async def get_locked(session: AsyncSession, company_id: UUID) -> CompanyEntitlement | None:
    """The company's row, held until the transaction ends, if there is one."""
    return await queries.get_for_update(session, CompanyEntitlement, company_id)


async def save_snapshot(
    session: AsyncSession, snapshot: EntitlementsSnapshot, produced_at: datetime
) -> bool:
    """Store billing's snapshot unless one of the same or a later version is stored; True when
    it was stored."""
    values = {
        "plan": snapshot.plan,
        "status": snapshot.status,
        "bank_accounts_limit": snapshot.limits.bank_accounts,
        "transactions_per_month_limit": snapshot.limits.transactions_per_month,
        "valid_until": snapshot.valid_until,
        "insights": snapshot.limits.insights,
        "insight_plans": snapshot.insight_plans,
        "source": SOURCE_BILLING,
        "version": snapshot.version,
        "snapshot_at": produced_at,
    }
    new_row = insert(CompanyEntitlement).values(company_id=snapshot.company_id, **values)
    statement = new_row.on_conflict_do_update(
        index_elements=[CompanyEntitlement.company_id],
        set_=values,
        # Billing always wins over an assumed trial; among billing's, the highest version wins.
        where=(CompanyEntitlement.source != SOURCE_BILLING)
        | CompanyEntitlement.version.is_(None)
        | (CompanyEntitlement.version < new_row.excluded.version),
    ).returning(CompanyEntitlement.company_id)
    return (await session.execute(statement)).scalar_one_or_none() is not None
