"""Pluggy API routes of the sandbox, mounted under `/pluggy` (state: see `lifespan.py`)."""

from fastapi import APIRouter

from provider_sandbox.pluggy import (
    accounts,
    auth,
    connector_routes,
    consents,
    control,
    webhook_routes,
)
from provider_sandbox.pluggy.items import routes as items
from provider_sandbox.pluggy.lifespan import lifespan
from provider_sandbox.pluggy.payments import routes as payments
from provider_sandbox.pluggy.transactions import routes as transactions

router = APIRouter(lifespan=lifespan)
for module in (auth, connector_routes, items, accounts, transactions, consents, webhook_routes):
    router.include_router(module.router)
router.include_router(payments.router)
router.include_router(control.router)
