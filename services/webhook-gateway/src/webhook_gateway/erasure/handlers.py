"""Billing's request to erase a company, and banking's confirmation that it did."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finhub_shared.events import EventEnvelope
from webhook_gateway.erasure import service
from webhook_gateway.erasure.schemas import BankingErased, DeletionRequested
from webhook_gateway.registries import privacy_events
from webhook_gateway.runtime import Runtime


@privacy_events.on("company.deletion_requested")
async def on_deletion_requested(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await service.purge_stripe(session, DeletionRequested.model_validate(envelope.data))


@privacy_events.on("company.erased")
async def on_banking_erased(
    session: AsyncSession, envelope: EventEnvelope, runtime: Runtime
) -> None:
    await service.purge_pluggy(session, BankingErased.model_validate(envelope.data))
