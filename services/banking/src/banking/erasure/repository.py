"""Queries of a company's erasure: what it holds at Pluggy, and every row of it here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from banking import tables
from banking.entitlements.models import SOURCE_BILLING, CompanyEntitlement
from banking.items.models import Item
from banking.pix import models as pix
from finhub_shared import queries

# Kept, naming no one: the entitlements row, turned into a tombstone that allows nothing.
KEPT_TABLES = frozenset({CompanyEntitlement.__tablename__})
# No snapshot billing publishes can ever replace the tombstone (the column's greatest value).
TOMBSTONE_VERSION = 2**63 - 1


async def pluggy_items(session: AsyncSession, company_id: UUID) -> Sequence[tuple[str, str]]:
    """The Pluggy id and status of every connection of the company, deleted ones included."""
    statement = select(Item.pluggy_item_id, Item.status).where(Item.company_id == company_id)
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def scheduled_payments(session: AsyncSession, company_id: UUID) -> Sequence[str]:
    """The Pluggy requests of the company's scheduled PIX payments with dates still to pay."""
    statement = select(pix.PixPayment.pluggy_request_id).where(
        pix.PixPayment.company_id == company_id,
        pix.PixPayment.schedule.is_not(None),
        pix.PixPayment.status.not_in(pix.FINAL_STATUSES),
    )
    return (await session.execute(statement)).scalars().all()


async def live_mandates(session: AsyncSession, company_id: UUID) -> Sequence[str]:
    """The Pluggy requests of the company's automatic PIX mandates not cancelled or failed."""
    statement = select(pix.PixMandate.pluggy_request_id).where(
        pix.PixMandate.company_id == company_id,
        pix.PixMandate.status.not_in((pix.MANDATE_CANCELED, pix.MANDATE_FAILED)),
    )
    return (await session.execute(statement)).scalars().all()


async def erase_company_rows(session: AsyncSession, company_id: UUID) -> dict[str, int]:
    """Delete every row of the company in every table that has a company_id; how many each."""
    erased = {}
    # Dependants first, so that no foreign key stops a delete.
    for table in reversed(tables.metadata.sorted_tables):
        if table.name in KEPT_TABLES or "company_id" not in table.c:
            continue
        result = await session.execute(delete(table).where(table.c.company_id == company_id))
        erased[table.name] = queries.rows_affected(result)
    return erased


async def keep_tombstone(session: AsyncSession, company_id: UUID, now: datetime) -> None:
    """The company's entitlements from now on: nothing allowed, so that a token issued before the
    deletion cannot start an assumed trial and connect a bank again."""
    values: dict[str, Any] = {
        "plan": None,
        "status": "erased",
        "bank_accounts_limit": 0,
        "transactions_per_month_limit": 0,
        "valid_until": None,
        "insights": "none",
        "insight_plans": {},
        "source": SOURCE_BILLING,
        "version": TOMBSTONE_VERSION,
        "snapshot_at": now,
    }
    statement = insert(CompanyEntitlement).values(company_id=company_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[CompanyEntitlement.company_id], set_=values)
    )
