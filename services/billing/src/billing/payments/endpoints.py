"""The company's payment history."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from billing.payments import repository
from billing.payments.schemas import PaymentDetail, PaymentOut, RefundOut
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/payments/payments", tags=["payments"])


@router.get("")
async def list_payments(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[PaymentOut]:
    """Payments, newest first."""
    return await page_of(session, repository.newest_first(principal), page, PaymentOut)


@router.get("/{payment_id}", responses=error_responses(NotFound))
async def get_payment(
    session: DbSession, principal: CurrentPrincipal, payment_id: UUID
) -> PaymentDetail:
    """One payment with its refunds."""
    payment = await repository.get_for(session, principal, payment_id)
    refunds = [
        RefundOut.model_validate(r) for r in await repository.refunds_of(session, payment.id)
    ]
    return PaymentDetail(**PaymentOut.model_validate(payment).model_dump(), refunds=refunds)
