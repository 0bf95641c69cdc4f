"""Queries of company deletions, and the erasure of a company's rows in billing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing import tables
from billing.accounts.models import LoginThrottle, User
from billing.audit.models import AuditEntry
from billing.erasure.models import CompanyDeletion
from billing.invoices.models import Invoice
from finhub_shared import queries

# What stays of an erased company: the fiscal records (with no personal data), the anonymous
# tombstone they point to, the deletion itself and its audit. Every other table with a company_id
# is erased, so a table added later is erased too unless it is named here.
KEPT_TABLES = frozenset(
    {"companies", "company_deletions", "audit_log", "invoices", "payments", "refunds", "disputes"}
)


async def for_company(session: AsyncSession, company_id: UUID) -> CompanyDeletion | None:
    """The company's deletion, if its owner asked for one."""
    statement = select(CompanyDeletion).where(CompanyDeletion.company_id == company_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get(session: AsyncSession, deletion_id: UUID) -> CompanyDeletion | None:
    """A deletion by id."""
    return await session.get(CompanyDeletion, deletion_id)


async def get_for_update(session: AsyncSession, deletion_id: UUID) -> CompanyDeletion | None:
    """A deletion by id, locked until the transaction ends (its steps take turns)."""
    return await queries.get_for_update(session, CompanyDeletion, deletion_id)


async def waiting_for_billing(session: AsyncSession, limit: int) -> Sequence[UUID]:
    """Deletions whose Stripe steps or billing erasure are still to do, oldest first."""
    statement = (
        select(CompanyDeletion.id)
        .where(CompanyDeletion.billing_erased_at.is_(None))
        .order_by(CompanyDeletion.requested_at)
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()


async def erase_company_rows(
    session: AsyncSession, company_id: UUID, kept_audit_actions: Collection[str]
) -> dict[str, int]:
    """Delete what billing holds of the company but its fiscal records (whose links to Stripe's
    hosted pages, which show the customer, are dropped) and the audit of its deletion; how many
    rows of each table went."""
    emails = select(User.email).where(User.company_id == company_id).scalar_subquery()
    erased = {
        LoginThrottle.__tablename__: queries.rows_affected(
            await session.execute(delete(LoginThrottle).where(LoginThrottle.email.in_(emails)))
        )
    }
    # Dependants first, so that no foreign key stops a delete.
    for table in reversed(tables.Base.metadata.sorted_tables):
        if table.name in KEPT_TABLES or "company_id" not in table.c:
            continue
        result = await session.execute(delete(table).where(table.c.company_id == company_id))
        erased[table.name] = queries.rows_affected(result)
    result = await session.execute(
        delete(AuditEntry).where(
            AuditEntry.company_id == company_id, AuditEntry.action.not_in(kept_audit_actions)
        )
    )
    erased[AuditEntry.__tablename__] = queries.rows_affected(result)
    await session.execute(
        update(Invoice)
        .where(Invoice.company_id == company_id)
        .values(hosted_invoice_url=None, invoice_pdf_url=None)
    )
    return erased


async def count_failure(session: AsyncSession, deletion_id: UUID, reason: str) -> None:
    """One more failed run of the deletion's steps, and why."""
    await session.execute(
        update(CompanyDeletion)
        .where(CompanyDeletion.id == deletion_id)
        .values(attempts=CompanyDeletion.attempts + 1, last_error=reason[:2000])
    )
