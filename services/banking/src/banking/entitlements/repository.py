"""Queries of the entitlements table."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from sqlalchemy import Exists, Table, bindparam, exists
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from banking.entitlements.models import SOURCE_ASSUMED_TRIAL, SOURCE_BILLING, CompanyEntitlement
from banking.entitlements.schemas import EntitlementsSnapshot, TrialTerms
from finhub_shared import queries
from finhub_shared.db import table_of


async def get(session: AsyncSession, company_id: UUID) -> CompanyEntitlement | None:
    """The company's row, if billing or a first request created it."""
    return await session.get(CompanyEntitlement, company_id)


async def get_or_start_trial(
    session: AsyncSession, company_id: UUID, terms: TrialTerms, now: datetime, *, lock: bool = False
) -> CompanyEntitlement:
    """The company's row, created as an assumed trial starting `now` when there is none; with
    `lock`, held until the transaction ends."""
    # Read first: a company has its row from its first request on, so the insert is rare.
    row = await _read(session, company_id, lock=lock)
    if row is not None:
        return row
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
    row = await _read(session, company_id, lock=lock)
    assert row is not None  # inserted above, or by a request at the same time
    return row


async def _read(
    session: AsyncSession, company_id: UUID, *, lock: bool
) -> CompanyEntitlement | None:
    if lock:
        return await queries.get_for_update(session, CompanyEntitlement, company_id)
    return await session.get(CompanyEntitlement, company_id, populate_existing=True)


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


class Saved(Enum):
    """What storing billing's snapshot did."""

    OUTDATED = "outdated"  # the same or a later version was stored: nothing changed
    FIRST = "first"  # the company's first row: no account or transaction of it was limited yet
    SAME_LIMITS = "same_limits"  # stored over billing's snapshot with these very limits
    NEW_LIMITS = "new_limits"  # stored over an assumed trial or other limits


async def save_snapshot(
    session: AsyncSession, snapshot: EntitlementsSnapshot, produced_at: datetime
) -> Saved:
    """Store billing's snapshot unless one of the same or a later version is stored, and say
    what it replaced (one statement)."""
    values = {
        "company_id": snapshot.company_id,
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
    before = (await session.execute(_SAVE_SNAPSHOT, values)).one_or_none()
    if before is None:
        return Saved.OUTDATED
    existed, same_limits = before
    if not existed:
        return Saved.FIRST
    return Saved.SAME_LIMITS if same_limits else Saved.NEW_LIMITS


def _save_snapshot_statement() -> ReturningInsert[bool, bool]:
    """save_snapshot's upsert, its values bound at execution: built per call (its `excluded`
    alias, the subqueries over the table as it was) it cost more CPU than it takes to run."""
    table = table_of(CompanyEntitlement)
    new_row = insert(table).values({column: bindparam(column) for column in SNAPSHOT_COLUMNS})
    upsert = new_row.on_conflict_do_update(
        index_elements=[table.c.company_id],
        set_={column: new_row.excluded[column] for column in SNAPSHOT_COLUMNS[1:]},
        # Billing always wins over an assumed trial; among billing's, the highest version wins.
        where=(table.c.source != SOURCE_BILLING)
        | table.c.version.is_(None)
        | (table.c.version < new_row.excluded.version),
    )
    return upsert.returning(*_row_before(table))


def _row_before(table: Table) -> tuple[Exists, Exists]:
    """Whether the company had a row before the statement, and one of billing's with the
    snapshot's limits: subqueries of a statement see the table as it was before it."""
    before = table.alias("before")
    of_company = before.c.company_id == bindparam("company_id")
    same_limits = exists().where(
        of_company,
        before.c.source == SOURCE_BILLING,
        before.c.bank_accounts_limit.is_not_distinct_from(bindparam("bank_accounts_limit")),
        before.c.transactions_per_month_limit.is_not_distinct_from(
            bindparam("transactions_per_month_limit")
        ),
    )
    return exists().where(of_company), same_limits


# The snapshot's columns, the key first.
SNAPSHOT_COLUMNS = (
    "company_id",
    "plan",
    "status",
    "bank_accounts_limit",
    "transactions_per_month_limit",
    "valid_until",
    "insights",
    "insight_plans",
    "source",
    "version",
    "snapshot_at",
)
_SAVE_SNAPSHOT = _save_snapshot_statement()
