"""Queries of payments and refunds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVarTuple
from uuid import UUID

from sqlalchemy import ScalarSelect, Select, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments.models import Payment, Refund
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped

Columns = TypeVarTuple("Columns")


async def by_invoice(session: AsyncSession, stripe_invoice_id: str) -> Payment | None:
    """The payment of a Stripe invoice."""
    statement = select(Payment).where(Payment.stripe_invoice_id == stripe_invoice_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def by_stripe_ids(
    session: AsyncSession,
    *,
    invoice_id: str | None = None,
    charge_id: str | None = None,
    intent_id: str | None = None,
) -> Payment | None:
    """The payment that the first of these Stripe ids to name one names (invoice, charge, then
    payment intent; None skipped), in one query."""
    statement = _first_named(select(Payment), invoice_id, charge_id, intent_id)
    return None if statement is None else (await session.execute(statement)).scalar_one_or_none()


def company_by_stripe_ids(
    *, charge_id: str | None = None, intent_id: str | None = None
) -> ScalarSelect[UUID] | None:
    """The company of `by_stripe_ids`' payment, as a subquery for another statement."""
    statement = _first_named(select(Payment.company_id), None, charge_id, intent_id)
    return None if statement is None else statement.scalar_subquery()


def _first_named(
    statement: Select[*Columns],
    invoice_id: str | None,
    charge_id: str | None,
    intent_id: str | None,
) -> Select[*Columns] | None:
    """The statement's row for the first id given that names a payment; None if none is given.
    Each id is a unique column, so each names at most one payment."""
    ids = (
        (Payment.stripe_invoice_id, invoice_id),
        (Payment.stripe_charge_id, charge_id),
        (Payment.stripe_payment_intent_id, intent_id),
    )
    keys = [column == value for column, value in ids if value is not None]
    if not keys:
        return None
    first = case(*((key, rank) for rank, key in enumerate(keys)))
    return statement.where(or_(*keys)).order_by(first).limit(1)


async def get_for(session: AsyncSession, principal: Principal, payment_id: UUID) -> Payment:
    """The caller's payment, or 404."""
    return await queries.get_owned(session, Payment, payment_id, principal, "payment")


async def refund(session: AsyncSession, stripe_refund_id: str) -> Refund | None:
    """Our record of a Stripe refund."""
    statement = select(Refund).where(Refund.stripe_refund_id == stripe_refund_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def refunds_of(session: AsyncSession, payment_id: UUID) -> Sequence[Refund]:
    """A payment's refunds, oldest first."""
    statement = select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.synced_at)
    return (await session.execute(statement)).scalars().all()


def newest_first(principal: Principal) -> Select[Payment]:
    """The caller's payments, newest first."""
    return queries.newest_first(
        scoped(select(Payment), Payment, principal), Payment.requested_at, Payment.id
    )


async def recent(session: AsyncSession, company_id: UUID, limit: int) -> Sequence[Payment]:
    """The company's newest payments."""
    statement = queries.newest_first(
        select(Payment).where(Payment.company_id == company_id), Payment.requested_at, Payment.id
    ).limit(limit)
    return (await session.execute(statement)).scalars().all()
