"""Checkout, the customer portal, cancelling and changing plan.

These routes call Stripe, so they take the database (`DatabaseDep`) instead of the request's one
transaction (`DbSession`): the service holds a transaction only while it reads and writes.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from billing.checkout import service
from billing.checkout.errors import (
    CheckoutAlreadyPaid,
    CheckoutReplaced,
    NoActiveSubscription,
    NoBillingAccount,
    PlanUnchanged,
    StripePriceMissing,
    SubscriptionAlreadyActive,
)
from billing.checkout.schemas import (
    CancelRequest,
    ChangePlanRequest,
    CheckoutOut,
    CheckoutRequest,
    PortalOut,
)
from billing.dependencies import DatabaseDep, Settings, StripeApi
from billing.plans.errors import InvalidPlan
from billing.subscriptions.schemas import SubscriptionOut
from finhub_shared.auth import ManagerPrincipal
from finhub_shared.errors import ProviderError, ProviderUnavailable, error_responses

router = APIRouter(prefix="/api/payments", tags=["checkout"])

STRIPE_ERRORS = (ProviderError, ProviderUnavailable)


@router.post(
    "/checkout",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        InvalidPlan,
        SubscriptionAlreadyActive,
        CheckoutReplaced,
        CheckoutAlreadyPaid,
        StripePriceMissing,
        *STRIPE_ERRORS,
    ),
)
async def checkout(
    form: CheckoutRequest,
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
    settings: Settings,
) -> CheckoutOut:
    """The company's one open Stripe Checkout for a plan (asking again returns it, asking for
    another plan replaces it); the subscription starts when Stripe confirms payment."""
    return await service.start_checkout(database, stripe_client, principal, form, settings)


@router.post("/portal", responses=error_responses(NoBillingAccount, *STRIPE_ERRORS))
async def portal(
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
    settings: Settings,
) -> PortalOut:
    """A link to Stripe's customer portal (cards, invoices)."""
    return await service.open_portal(database, stripe_client, principal, settings)


@router.post(
    "/subscription/cancel",
    responses=error_responses(NoActiveSubscription, *STRIPE_ERRORS),
)
async def cancel_subscription(
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
    form: CancelRequest | None = None,
) -> SubscriptionOut:
    """Cancel at the end of the paid period (default) or now."""
    return await service.cancel(database, stripe_client, principal, form or CancelRequest())


@router.post(
    "/subscription/change-plan",
    responses=error_responses(
        InvalidPlan, NoActiveSubscription, PlanUnchanged, StripePriceMissing, *STRIPE_ERRORS
    ),
)
async def change_plan(
    form: ChangePlanRequest,
    database: DatabaseDep,
    principal: ManagerPrincipal,
    stripe_client: StripeApi,
) -> SubscriptionOut:
    """Upgrade or downgrade; Stripe prorates the difference."""
    return await service.change_plan(database, stripe_client, principal, form)
