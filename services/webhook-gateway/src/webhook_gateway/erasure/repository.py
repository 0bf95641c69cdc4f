"""Queries of erasures, and the purge of the stored webhooks that name a company."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, String, any_, bindparam, delete, false, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared import queries
from webhook_gateway.database import OutboxMessage
from webhook_gateway.erasure.models import CompanyErasure
from webhook_gateway.webhooks.models import WebhookEvent

# A purged event keeps its ids, type and times (deduplication, the admin's history); its body
# and headers are gone, and it is never routed or replayed again.
ERASED = "erased"
ERASED_BODY = b"{}"


async def erasure_for_update(
    session: AsyncSession, deletion_id: UUID, company_id: UUID
) -> CompanyErasure:
    """The deletion's erasure (made if new), locked so its two parts take turns."""
    await session.execute(
        insert(CompanyErasure)
        .values(deletion_id=deletion_id, company_id=company_id)
        .on_conflict_do_nothing()
    )
    erasure = await queries.get_for_update(session, CompanyErasure, deletion_id)
    assert erasure is not None  # inserted above, or there before
    return erasure


def _names(needle: str) -> ColumnElement[bool]:
    """The raw body holds `needle` as a JSON string (quoted, so `cus_1` is not `cus_12`)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return WebhookEvent.raw_body.op("LIKE", is_comparison=True)(b'%"' + escaped.encode() + b'"%')


async def purge(
    session: AsyncSession, source: str, company_id: UUID, needles: Sequence[str]
) -> Sequence[str]:
    """Erase the body and headers of every stored `source` webhook that names the company: by
    the company id it carried, or by one of `needles` (its ids at the provider) in the body;
    their published messages go from the outbox too. The event ids purged."""
    naming = or_(WebhookEvent.company_id == company_id, false(), *(_names(n) for n in needles))
    purged = (
        (
            await session.execute(
                update(WebhookEvent)
                .where(WebhookEvent.source == source, WebhookEvent.status != ERASED, naming)
                .values(raw_body=ERASED_BODY, headers={}, status=ERASED)
                .returning(WebhookEvent.event_id)
            )
        )
        .scalars()
        .all()
    )
    if purged:
        # One still waiting is published first (its consumer may need it), then pruned.
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.message_id == any_(bindparam("purged", purged, type_=ARRAY(String))),
                OutboxMessage.published_at.is_not(None),
            )
        )
    return purged


async def recent(session: AsyncSession, since: datetime) -> Sequence[CompanyErasure]:
    """Erasures confirmed since `since`: a provider may still send webhooks naming them."""
    statement = select(CompanyErasure).where(CompanyErasure.confirmed_at >= since)
    return (await session.execute(statement)).scalars().all()
