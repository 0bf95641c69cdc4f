"""What Pluggy's automatic_pix_payment/* events do: the cycle payment of one of our mandates kept
as Pluggy has it now (fetched with no database transaction open).

Payments and mandates are fetched and kept by service.py, which the routes share with
payment_intent/*, payment_request/* and scheduled_payment/*.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from banking.money import to_cents
from banking.pix import live, repository
from banking.pix.models import FINAL_CYCLE_STATUSES, PixMandatePayment
from banking.pluggy import payloads as pluggy
from banking.runtime import Runtime
from finhub_shared.db import Database

log = structlog.get_logger(__name__)


async def fetch_cycle_payment(
    database: Database, runtime: Runtime, pluggy_request_id: str, pluggy_payment_id: str
) -> pluggy.AutomaticPixPayment | None:
    """One automatic PIX payment of one of our mandates, as Pluggy has it now."""
    async with database.transaction() as session:
        mandate = await repository.mandate_by_request(session, pluggy_request_id)
    if mandate is None:
        log.info("pix_request_not_ours", pluggy_request_id=pluggy_request_id)
        return None
    return await runtime.pluggy.get_automatic_pix_payment(pluggy_request_id, pluggy_payment_id)


async def keep_cycle_payment(
    session: AsyncSession, pluggy_request_id: str, current: pluggy.AutomaticPixPayment
) -> None:
    """Keep the fetched automatic PIX payment's state (automatic_pix_payment/*)."""
    mandate = await repository.mandate_by_request(session, pluggy_request_id)
    if mandate is None:
        return
    cycle = await repository.mandate_payment_by_pluggy_id(session, current.id)
    previous = cycle.status if cycle is not None else None
    if cycle is None:
        # Scheduled by Pluggy itself (the first payment, or its auto-scheduler).
        cycle = PixMandatePayment(
            company_id=mandate.company_id,
            mandate_id=mandate.id,
            pluggy_payment_id=current.id,
            amount_cents=to_cents(current.amount),
            date=current.date,
            description=current.description,
            status=current.status,
        )
        session.add(cycle)
    elif cycle.status in FINAL_CYCLE_STATUSES and current.status not in FINAL_CYCLE_STATUSES:
        return
    cycle.status = current.status
    cycle.end_to_end_id = current.end_to_end_id
    detail = current.error_detail
    cycle.error = (detail.description or detail.code) if detail else None
    await session.flush()
    await live.cycle_status_changed(session, cycle, previous)
