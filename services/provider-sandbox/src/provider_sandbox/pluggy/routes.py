"""Pluggy API routes of the sandbox, mounted under `/pluggy` (state: see `lifespan.py`).

Every API route counts against Pluggy's rate limits (`rate_limits.py`); the control API does not.
"""

from fastapi import APIRouter, Depends, Request

from provider_sandbox.pluggy import (
    accounts,
    auth,
    connector_routes,
    consents,
    control,
    webhook_routes,
)
from provider_sandbox.pluggy.items import routes as items
from provider_sandbox.pluggy.lifespan import MOUNT_PATH, lifespan
from provider_sandbox.pluggy.payments import routes as payments
from provider_sandbox.pluggy.state import get_sandbox
from provider_sandbox.pluggy.transactions import routes as transactions


async def enforce_rate_limits(request: Request) -> None:
    """Count the call against its endpoint's budget for its API key (Pluggy's 429 when spent)."""
    sandbox = get_sandbox(request)
    caller = request.headers.get("X-API-KEY") or (request.client.host if request.client else "")
    path = request.url.path.removeprefix(MOUNT_PATH)
    sandbox.rate_limits.count(caller, request.method, path, sandbox.now())


router = APIRouter(lifespan=lifespan)
for module in (
    auth,
    connector_routes,
    items,
    accounts,
    transactions,
    consents,
    webhook_routes,
    payments,
):
    router.include_router(module.router, dependencies=[Depends(enforce_rate_limits)])
router.include_router(control.router)
