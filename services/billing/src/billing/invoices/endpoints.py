"""The company's invoices."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from billing.invoices import repository
from billing.invoices.schemas import InvoiceOut
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession
from finhub_shared.errors import NotFound, error_responses
from finhub_shared.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/payments/invoices", tags=["invoices"])


@router.get("")
async def list_invoices(
    session: DbSession, principal: CurrentPrincipal, page: PageQuery
) -> Page[InvoiceOut]:
    """Invoices, newest first, with links to Stripe's hosted page and PDF."""
    return await page_of(session, repository.newest_first(principal), page, InvoiceOut)


@router.get("/{invoice_id}", responses=error_responses(NotFound))
async def get_invoice(
    session: DbSession, principal: CurrentPrincipal, invoice_id: UUID
) -> InvoiceOut:
    """One invoice."""
    invoice = await repository.get_for(session, principal, invoice_id)
    return InvoiceOut.model_validate(invoice)
