"""Queries of invoices."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.invoices.models import Invoice
from finhub_shared.auth import Principal, scoped


async def by_stripe_id(session: AsyncSession, stripe_invoice_id: str) -> Invoice | None:
    """Our record of a Stripe invoice."""
    statement = select(Invoice).where(Invoice.stripe_invoice_id == stripe_invoice_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get(session: AsyncSession, invoice_id: UUID) -> Invoice | None:
    """An invoice by our id, whoever it belongs to (callers check ownership)."""
    return await session.get(Invoice, invoice_id)


def newest_first(principal: Principal) -> Select[Invoice]:
    """The caller's invoices, newest first."""
    return scoped(select(Invoice), Invoice, principal).order_by(
        Invoice.stripe_created_at.desc(), Invoice.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Invoice]:
    """The company's newest invoices."""
    statement = (
        select(Invoice)
        .where(Invoice.company_id == company_id)
        .order_by(Invoice.stripe_created_at.desc())
        .limit(limit)
    )
    return (await session.execute(statement)).scalars().all()
