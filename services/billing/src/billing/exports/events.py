"""What banking's answers about a company's data do in billing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from billing.config import BillingSettings
from billing.exports import service
from billing.exports.schemas import CompanyExported


async def company_exported(
    session: AsyncSession, exported: CompanyExported, settings: BillingSettings, now: datetime
) -> None:
    """banking.company.exported: banking's part of an export arrived; the archive is ready."""
    await service.assemble(
        session, exported, retention_days=settings.export_retention_days, now=now
    )
