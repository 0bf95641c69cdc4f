"""The shared control API under `/_sandbox`: faults, the webhook delivery log, time travel.

Each half of the sandbox registers a time-travel hook with `register_time_travel(app, name, hook)`;
`POST /_sandbox/advance` moves every half's clock forward by calling each hook in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, Field

from finhub_shared.errors import NotFound
from provider_sandbox.faults import FaultPlan, FaultRule, FaultState
from provider_sandbox.webhooks import DeliveryRecord, WebhookDispatcher, webhook_dispatcher

TimeTravelHook = Callable[[timedelta], Awaitable[Mapping[str, Any]]]

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


def register_time_travel(app: FastAPI, name: str, hook: TimeTravelHook) -> None:
    """Have `POST /_sandbox/advance` call `hook(delta)` for the half called `name`."""
    hooks: dict[str, TimeTravelHook] = app.state.time_travel
    hooks[name] = hook


def fault_plan(request: Request) -> FaultPlan:
    """The app's fault plan (a FastAPI dependency)."""
    plan: FaultPlan = request.app.state.faults
    return plan


Faults = Annotated[FaultPlan, Depends(fault_plan)]
Webhooks = Annotated[WebhookDispatcher, Depends(webhook_dispatcher)]


class TimeAdvance(BaseModel):
    """How far to move the sandbox clocks forward."""

    days: float = Field(0, ge=0)
    hours: float = Field(0, ge=0)
    minutes: float = Field(0, ge=0)

    def as_delta(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)


@router.get("/faults")
async def list_faults(faults: Faults) -> list[FaultState]:
    """The fault rules in force, with how many calls each has seen and failed."""
    return faults.rules()


@router.post("/faults", status_code=201)
async def add_fault(rule: FaultRule, faults: Faults) -> FaultState:
    """Put one fault rule in force."""
    return faults.add(rule)


@router.delete("/faults", status_code=204)
async def clear_faults(faults: Faults) -> Response:
    """Drop every fault rule."""
    faults.clear()
    return Response(status_code=204)


@router.delete("/faults/{rule_id}", status_code=204)
async def remove_fault(rule_id: int, faults: Faults) -> Response:
    """Drop one fault rule."""
    if not faults.remove(rule_id):
        raise NotFound(f"No fault rule {rule_id}.")
    return Response(status_code=204)


@router.get("/webhooks/deliveries")
async def list_deliveries(webhooks: Webhooks) -> list[DeliveryRecord]:
    """Every webhook the sandbox has sent, with status codes and attempts."""
    return webhooks.deliveries()


@router.post("/advance")
async def advance_time(advance: TimeAdvance, request: Request) -> dict[str, Any]:
    """Move every half's clock forward, letting renewals, expiries and timeouts happen."""
    hooks: dict[str, TimeTravelHook] = request.app.state.time_travel
    delta = advance.as_delta()
    results = {name: await hook(delta) for name, hook in hooks.items()}
    return {"advanced_seconds": delta.total_seconds(), "results": results}
