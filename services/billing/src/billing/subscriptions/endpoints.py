"""The caller's subscription."""

from __future__ import annotations

from fastapi import APIRouter

from billing.subscriptions.schemas import SubscriptionOut
from billing.subscriptions.summary import subscription_of
from finhub_shared.auth import CurrentPrincipal
from finhub_shared.db import DbSession

router = APIRouter(prefix="/api/payments", tags=["subscription"])


@router.get("/subscription")
async def get_subscription(session: DbSession, principal: CurrentPrincipal) -> SubscriptionOut:
    """Status, plan, periods, limits against usage, and any action the user must take."""
    return await subscription_of(session, principal.company_id)
