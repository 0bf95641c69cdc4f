"""Billing's HTTP API: app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from billing.accounts.endpoints import auth_router, companies_router
from billing.accounts.sessions import LiveSessions
from billing.audit.endpoints import router as audit_router
from billing.checkout.endpoints import router as checkout_router
from billing.config import BillingSettings, get_settings
from billing.consents.endpoints import router as consents_router
from billing.disputes.endpoints import LARGER_BODIES
from billing.disputes.endpoints import router as disputes_router
from billing.erasure.endpoints import router as erasure_router
from billing.exports.endpoints import router as exports_router
from billing.invoices.endpoints import router as invoices_router
from billing.notifications.endpoints import router as notifications_router
from billing.payments.endpoints import router as payments_router
from billing.plans.endpoints import router as plans_router
from billing.stripe.client import open_stripe_client
from billing.subscriptions.endpoints import router as subscriptions_router
from finhub_shared.app import ExtraLifespan, create_service_app
from finhub_shared.auth import TokenIssuer
from finhub_shared.events import utcnow


def _billing_lifespan(settings: BillingSettings) -> ExtraLifespan:
    """The access-token issuer, the session guard, the clock and the Stripe client, for the life
    of the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.clock = utcnow
        app.state.session_guard = LiveSessions(app.state.database)
        app.state.token_issuer = TokenIssuer(
            settings.jwt_private_key_pem,
            settings.jwt_issuer,
            settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
        )
        async with open_stripe_client(settings) as stripe_client:
            app.state.stripe = stripe_client
            yield

    return lifespan


def create_app() -> FastAPI:
    """The billing API (uvicorn factory)."""
    settings = get_settings()
    return create_service_app(
        service="billing",
        title="Finance Hub billing",
        settings=settings,
        database_url=settings.database_url.get_secret_value(),
        routers=(
            auth_router,
            companies_router,
            erasure_router,
            consents_router,
            exports_router,
            plans_router,
            subscriptions_router,
            checkout_router,
            payments_router,
            invoices_router,
            disputes_router,
            notifications_router,
            audit_router,
        ),
        extra_lifespan=_billing_lifespan(settings),
        larger_bodies=LARGER_BODIES,
    )
