"""What billing's endpoints take from the running app: its settings, database, Stripe client, token
issuer and clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import stripe
from fastapi import Depends, Request

from billing.config import BillingSettings
from finhub_shared.auth import TokenIssuer
from finhub_shared.db import Database


def _settings(request: Request) -> BillingSettings:
    settings = request.app.state.settings
    assert isinstance(settings, BillingSettings)
    return settings


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _stripe(request: Request) -> stripe.StripeClient:
    client: stripe.StripeClient = request.app.state.stripe
    return client


def _token_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


def _client_address(request: Request) -> str:
    """Where the request comes from, as the server sees it (behind a proxy, uvicorn runs with
    --proxy-headers and FORWARDED_ALLOW_IPS naming it, so this is the client's own)."""
    return request.client.host[:64] if request.client else "unknown"


def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


Settings = Annotated[BillingSettings, Depends(_settings)]
# For routes that must not hold one transaction for the whole request (those calling Stripe):
# they open short `database.transaction()` blocks around their reads and writes.
DatabaseDep = Annotated[Database, Depends(_database)]
StripeApi = Annotated[stripe.StripeClient, Depends(_stripe)]
Issuer = Annotated[TokenIssuer, Depends(_token_issuer)]
# The client's address: log-in throttles and consents record it.
ClientAddress = Annotated[str, Depends(_client_address)]
# The time of day as the app tells it (`utcnow`; tests set `app.state.clock` to move it).
Clock = Annotated[Callable[[], datetime], Depends(_clock)]
