"""Pluggy API routes of the sandbox, mounted under `/pluggy` (state: see `lifespan.py`).

Every API route counts against Pluggy's rate limits (`rate_limits.py`) and is checked for its key
once, by its router: each module's `router` takes the application's API key only, its
`widget_router` a connect token too. The control API does neither.
"""

from fastapi import APIRouter, Depends, Request

from provider_sandbox.pluggy import (
    accounts,
    auth,
    categories,
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


RATE_LIMITED = Depends(enforce_rate_limits)

router = APIRouter(lifespan=lifespan)
router.include_router(auth.public_router, dependencies=[RATE_LIMITED])
for module in (
    auth,
    items,
    accounts,
    transactions,
    categories,
    consents,
    webhook_routes,
    payments,
):
    router.include_router(module.router, dependencies=[RATE_LIMITED, Depends(auth.api_key)])
for widget_module in (connector_routes, items, accounts, payments):
    router.include_router(
        widget_module.widget_router, dependencies=[RATE_LIMITED, Depends(auth.caller)]
    )
router.include_router(control.router)
