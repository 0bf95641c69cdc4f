"""A deleted company's erasure in the gateway: the stored webhooks naming it are purged, Stripe's
on billing's request, Pluggy's on banking's confirmation (only banking knows its items), and
`gateway.company.erased` tells billing once both are done. Their fates lose their texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.events import utcnow
from webhook_gateway.erasure import repository
from webhook_gateway.erasure.models import CompanyErasure
from webhook_gateway.erasure.schemas import BankingErased, DeletionRequested
from webhook_gateway.fates import repository as fates_repository
from webhook_gateway.publishing import COMPANY_ERASED, company_erased_data, publish

log = structlog.get_logger(__name__)


async def purge_stripe(session: AsyncSession, request: DeletionRequested) -> None:
    """Purge Stripe's webhooks naming the company or its customer."""
    erasure = await repository.erasure_for_update(session, request.deletion_id, request.company_id)
    erasure.stripe_customer_id = request.stripe_customer_id
    customers = [request.stripe_customer_id] if request.stripe_customer_id else []
    erasure.stripe_purged = await _purge(session, "stripe", request.company_id, customers)
    await _confirm_if_done(session, erasure, utcnow())


async def purge_pluggy(session: AsyncSession, erased: BankingErased) -> None:
    """Purge Pluggy's webhooks naming the company or one of its items."""
    erasure = await repository.erasure_for_update(session, erased.deletion_id, erased.company_id)
    erasure.pluggy_item_ids = erased.pluggy_item_ids
    erasure.pluggy_purged = await _purge(
        session, "pluggy", erased.company_id, erased.pluggy_item_ids
    )
    await _confirm_if_done(session, erasure, utcnow())


async def _confirm_if_done(session: AsyncSession, erasure: CompanyErasure, now: datetime) -> None:
    if erasure.confirmed_at is not None:
        return
    if erasure.stripe_purged is None or erasure.pluggy_purged is None:
        return
    erasure.confirmed_at = now
    purged = erasure.stripe_purged + erasure.pluggy_purged
    data = company_erased_data(erasure.deletion_id, erasure.company_id, purged)
    await publish(session, COMPANY_ERASED, data, erasure.company_id)
    log.info("company_webhooks_purged", deletion_id=str(erasure.deletion_id), purged=purged)


async def purge_late(session: AsyncSession, since: datetime) -> int:
    """Purge again for the erasures confirmed since `since`: what the providers sent after
    (Stripe's customer.deleted follows billing's deletion of the customer); how many."""
    purged = 0
    for erasure in await repository.recent(session, since):
        customers = [erasure.stripe_customer_id] if erasure.stripe_customer_id else []
        purged += await _purge(session, "stripe", erasure.company_id, customers)
        items = erasure.pluggy_item_ids or []
        purged += await _purge(session, "pluggy", erasure.company_id, items)
    return purged


async def _purge(
    session: AsyncSession, source: str, company_id: UUID, needles: Sequence[str]
) -> int:
    """Purge the webhooks naming the company and blank their fates' texts; how many."""
    purged = await repository.purge(session, source, company_id, needles)
    await fates_repository.erase_texts(session, source, purged)
    return len(purged)
