"""Queries of PIX payments and mandates."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from banking.pix.models import (
    PENDING,
    WAITING_AUTHORIZATION,
    PixMandate,
    PixMandatePayment,
    PixPayment,
)
from finhub_shared import queries
from finhub_shared.auth import Principal, scoped


async def payment_for(
    session: AsyncSession, principal: Principal, payment_id: uuid.UUID
) -> PixPayment:
    return await queries.get_owned(session, PixPayment, payment_id, principal, "payment")


def payments_newest_first(principal: Principal) -> Select[PixPayment]:
    """The caller's payments, newest first (to page through)."""
    statement = scoped(select(PixPayment), PixPayment, principal)
    return queries.newest_first(statement, PixPayment.created_at, PixPayment.id)


async def payment_by_request(session: AsyncSession, pluggy_request_id: str) -> PixPayment | None:
    """The payment of this Pluggy payment request, held until the transaction ends."""
    statement = queries.locked(
        select(PixPayment).where(PixPayment.pluggy_request_id == pluggy_request_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def unauthorised_since(session: AsyncSession, created_before: datetime) -> list[PixPayment]:
    """Payments nobody authorised since before `created_before`, locked (another worker skips
    them)."""
    statement = (
        select(PixPayment)
        .where(
            PixPayment.status.in_((PENDING, WAITING_AUTHORIZATION)),
            PixPayment.created_at <= created_before,
        )
        .order_by(PixPayment.id)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(statement))


async def mandate_for(
    session: AsyncSession, principal: Principal, mandate_id: uuid.UUID
) -> PixMandate:
    return await queries.get_owned(session, PixMandate, mandate_id, principal, "mandate")


def mandates_newest_first(principal: Principal) -> Select[PixMandate]:
    """The caller's mandates, newest first (to page through)."""
    statement = scoped(select(PixMandate), PixMandate, principal)
    return queries.newest_first(statement, PixMandate.created_at, PixMandate.id)


async def mandate_by_request(session: AsyncSession, pluggy_request_id: str) -> PixMandate | None:
    """The mandate of this Pluggy payment request, held until the transaction ends."""
    statement = queries.locked(
        select(PixMandate).where(PixMandate.pluggy_request_id == pluggy_request_id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def mandate_payments(session: AsyncSession, mandate_id: uuid.UUID) -> list[PixMandatePayment]:
    statement = (
        select(PixMandatePayment)
        .where(PixMandatePayment.mandate_id == mandate_id)
        .order_by(PixMandatePayment.date, PixMandatePayment.created_at, PixMandatePayment.id)
    )
    return list(await session.scalars(statement))


async def mandate_payment(
    session: AsyncSession, mandate_id: uuid.UUID, payment_id: uuid.UUID
) -> PixMandatePayment | None:
    payment = await session.get(PixMandatePayment, payment_id)
    return payment if payment is not None and payment.mandate_id == mandate_id else None


async def mandate_payment_by_pluggy_id(
    session: AsyncSession, pluggy_payment_id: str
) -> PixMandatePayment | None:
    statement = select(PixMandatePayment).where(
        PixMandatePayment.pluggy_payment_id == pluggy_payment_id
    )
    return (await session.execute(statement)).scalar_one_or_none()
