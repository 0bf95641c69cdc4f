"""Routes of PIX payments and automatic PIX."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from banking.dependencies import BankingDatabase, BankingRuntime
from banking.pix import repository, service
from banking.pix.errors import MandateNotAuthorized, PaymentNotCancellable, PaymentRefused
from banking.pix.schemas import (
    MandateCreate,
    MandateDetail,
    MandatePaymentCreate,
    MandatePaymentRead,
    MandateRead,
    PaymentCreate,
    PaymentRead,
)
from finhub_shared.auth import CurrentPrincipal, ManagerPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, ProviderError, error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/banking/pix", tags=["pix"])


@router.post(
    "/payments",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(PaymentRefused, ProviderError),
)
async def create_payment(
    body: PaymentCreate,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> PaymentRead:
    """A PIX payment (once, or on a schedule); send the payer to its `payment_url`."""
    payment = await service.create_payment(runtime, principal, body)
    async with database.transaction() as session:
        return PaymentRead.model_validate(await service.keep_created(session, principal, payment))


@router.get("/payments")
async def list_payments(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[PaymentRead]:
    """Your PIX payments, newest first, with their current status."""
    return await page_of(session, repository.payments_newest_first(principal), page, PaymentRead)


@router.get("/payments/{payment_id}", responses=error_responses(NotFound))
async def get_payment(
    payment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> PaymentRead:
    """One PIX payment."""
    return PaymentRead.model_validate(await repository.payment_for(session, principal, payment_id))


@router.post(
    "/payments/{payment_id}/cancel",
    responses=error_responses(NotFound, PaymentNotCancellable, ProviderError),
)
async def cancel_schedule(
    payment_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> PaymentRead:
    """Cancel a scheduled payment's dates not paid yet."""
    snapshot = await service.cancel_schedule(database, runtime, principal, payment_id)
    async with database.transaction() as session:
        payment = await service.keep_cancelled(session, principal, payment_id, snapshot)
        return PaymentRead.model_validate(payment)


@router.post(
    "/payments/{payment_id}/schedules/{schedule_id}/cancel",
    responses=error_responses(NotFound, PaymentNotCancellable, ProviderError),
)
async def cancel_scheduled_date(
    payment_id: uuid.UUID,
    schedule_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> PaymentRead:
    """Cancel one date of a scheduled payment."""
    snapshot = await service.cancel_scheduled_date(
        database, runtime, principal, payment_id, schedule_id
    )
    async with database.transaction() as session:
        payment = await service.keep_cancelled(session, principal, payment_id, snapshot)
        return PaymentRead.model_validate(payment)


@router.post(
    "/automatic",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(PaymentRefused, ProviderError),
)
async def create_mandate(
    body: MandateCreate,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> MandateRead:
    """An automatic PIX mandate; the payer authorises it once at its `payment_url`."""
    mandate = await service.create_mandate(runtime, principal, body)
    async with database.transaction() as session:
        return MandateRead.model_validate(await service.keep_created(session, principal, mandate))


@router.get("/automatic")
async def list_mandates(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[MandateRead]:
    """Your automatic PIX mandates, newest first."""
    return await page_of(session, repository.mandates_newest_first(principal), page, MandateRead)


@router.get("/automatic/{mandate_id}", responses=error_responses(NotFound))
async def get_mandate(
    mandate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> MandateDetail:
    """One mandate with its cycle payments."""
    mandate = await repository.mandate_for(session, principal, mandate_id)
    payments = await repository.mandate_payments(session, mandate.id)
    return MandateDetail.model_validate(
        {
            **MandateRead.model_validate(mandate).model_dump(),
            "payments": [MandatePaymentRead.model_validate(p) for p in payments],
        }
    )


@router.post(
    "/automatic/{mandate_id}/payments",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, MandateNotAuthorized, PaymentRefused, ProviderError),
)
async def schedule_cycle_payment(
    mandate_id: uuid.UUID,
    body: MandatePaymentCreate,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> MandatePaymentRead:
    """Schedule a cycle's payment under an authorised mandate."""
    cycle = await service.schedule_cycle_payment(database, runtime, principal, mandate_id, body)
    async with database.transaction() as session:
        return MandatePaymentRead.model_validate(
            await service.keep_created(session, principal, cycle)
        )


@router.post(
    "/automatic/{mandate_id}/payments/{payment_id}/cancel",
    responses=error_responses(NotFound, PaymentNotCancellable),
)
async def cancel_cycle_payment(
    mandate_id: uuid.UUID,
    payment_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> MandatePaymentRead:
    """Cancel one scheduled cycle payment."""
    await service.cancel_cycle_payment(database, runtime, principal, mandate_id, payment_id)
    async with database.transaction() as session:
        cycle = await service.keep_cycle_cancelled(session, principal, mandate_id, payment_id)
        return MandatePaymentRead.model_validate(cycle)


@router.post("/automatic/{mandate_id}/revoke", responses=error_responses(NotFound))
async def revoke_mandate(
    mandate_id: uuid.UUID,
    database: BankingDatabase,
    runtime: BankingRuntime,
    principal: ManagerPrincipal,
) -> MandateRead:
    """Revoke the mandate: nothing more is paid under it."""
    await service.revoke_mandate(database, runtime, principal, mandate_id)
    async with database.transaction() as session:
        mandate = await service.keep_revoked(session, principal, mandate_id)
        return MandateRead.model_validate(mandate)
