"""A company's erasure in banking, asked by billing: its connections deleted at Pluggy (their
consent revoked), its PIX schedules and mandates stopped there, then every row of it here, and
`banking.company.erased` to tell billing.

Pluggy is called with no transaction open; the rows go in the inbox's transaction (a fetching
handler's effect). A Pluggy failure raises: the bus retries the whole erasure, and what Pluggy
already deleted answers 404, which is fine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.erasure import repository
from banking.erasure.errors import ConnectionsAppeared
from banking.erasure.schemas import DeletionRequested
from banking.insights import service as insights
from banking.items.models import DELETED
from banking.publishing import COMPANY_ERASED, company_erased_data, publish
from banking.runtime import Runtime
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.events import utcnow
from finhub_shared.inbox import Effect

log = structlog.get_logger(__name__)


async def erase_company(runtime: Runtime, request: DeletionRequested) -> Effect:
    """Delete the company's connections and stop its payments at Pluggy; the effect that
    erases its rows and confirms to billing."""
    async with runtime.database.sessions() as session:
        items = await repository.pluggy_items(session, request.company_id)
        schedules = await repository.scheduled_payments(session, request.company_id)
        mandates = await repository.live_mandates(session, request.company_id)
    for pluggy_item_id, status in items:
        if status != DELETED:
            await runtime.pluggy.delete_item(pluggy_item_id)
    for request_id in schedules:
        await _stop(runtime.pluggy.cancel_payment_schedules, request_id)
    for request_id in mandates:
        await _stop(runtime.pluggy.revoke_automatic_pix, request_id)
    deleted = {pluggy_item_id for pluggy_item_id, _ in items}

    async def erase(session: AsyncSession) -> None:
        current = await repository.pluggy_items(session, request.company_id)
        if {pluggy_item_id for pluggy_item_id, _ in current} - deleted:
            raise ConnectionsAppeared(f"company {request.company_id} connected a bank meanwhile")
        await insights.lock_company(session, request.company_id)
        erased = await repository.erase_company_rows(session, request.company_id)
        await repository.keep_tombstone(session, request.company_id, utcnow())
        data = company_erased_data(request.deletion_id, request.company_id, sorted(deleted))
        await publish(session, COMPANY_ERASED, data, request.company_id)
        log.info("company_erased", deletion_id=str(request.deletion_id), erased=erased)

    return erase


async def _stop(call: Callable[[str], Awaitable[None]], request_id: str) -> None:
    """Stop a payment at Pluggy; one Pluggy refuses to stop (paid, cancelled or unknown by
    now) is left as it is, as nothing more can be paid under it."""
    try:
        await call(request_id)
    except ProviderUnavailable:
        raise
    except ProviderError as error:
        status = error.extra.get("provider_status")
        if not isinstance(status, int) or status >= 500:
            raise
        log.info("pix_request_not_stopped", provider_status=status)
