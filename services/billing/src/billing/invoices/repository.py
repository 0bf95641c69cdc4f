"""Queries of invoices."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices.models import Invoice
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def by_stripe_id(session: AsyncSession, stripe_invoice_id: str) -> Invoice | None:
    """Our record of a Stripe invoice."""
    statement = select(Invoice).where(Invoice.stripe_invoice_id == stripe_invoice_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_for(session: AsyncSession, principal: Principal, invoice_id: UUID) -> Invoice:
    """The caller's invoice, or 404."""
    return await queries.get_owned(session, Invoice, invoice_id, principal, "invoice")


def newest_first(principal: Principal) -> Select[Invoice]:
    """The caller's invoices, newest first."""
    return queries.newest_first(
        scoped(select(Invoice), Invoice, principal), Invoice.stripe_created_at, Invoice.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Invoice]:
    """The company's newest invoices."""
    statement = queries.newest_first(
        select(Invoice).where(Invoice.company_id == company_id),
        Invoice.stripe_created_at,
        Invoice.id,
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
