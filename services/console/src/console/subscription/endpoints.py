"""/app/subscription: the plan and its limits, invoices, Stripe Checkout and the portal."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from console.web import as_user, csrf_protected, render, services

router = APIRouter(prefix="/app/subscription")
Protected = [Depends(csrf_protected)]


@router.get("")
async def subscription_page(
    request: Request, checkout: str | None = None, welcome: int | None = None
) -> Response:
    billing, banking = services(request).billing, services(request).banking
    subscription = await as_user(request, billing, "GET", "/api/payments/subscription")
    plans = await billing.call("GET", "/api/payments/plans")
    invoices = await as_user(request, billing, "GET", "/api/payments/invoices")
    usage = await as_user(request, banking, "GET", "/api/banking/usage")
    return render(
        request,
        "app/subscription.html",
        subscription=subscription,
        plans=plans,
        invoices=invoices["items"],
        usage=usage,
        checkout=checkout,
        welcome=welcome,
    )


@router.get("/status")
async def subscription_status(request: Request) -> Response:
    """The status line alone: polled after checkout until Stripe's webhooks have arrived."""
    billing = services(request).billing
    subscription = await as_user(request, billing, "GET", "/api/payments/subscription")
    return render(request, "app/subscription_status.html", subscription=subscription)


@router.post("/checkout", dependencies=Protected)
async def checkout(
    request: Request,
    plan_id: Annotated[int, Form()],
    billing_period: Annotated[Literal["monthly", "yearly"], Form()] = "monthly",
) -> Response:
    """Stripe Checkout for the plan (the sandbox's page in development)."""
    session = await as_user(
        request,
        services(request).billing,
        "POST",
        "/api/payments/checkout",
        json={"plan_id": plan_id, "billing_period": billing_period},
    )
    return RedirectResponse(session["checkout_url"], status_code=303)


@router.post("/portal", dependencies=Protected)
async def portal(request: Request) -> Response:
    """Stripe's customer portal: card, invoices, cancellation."""
    session = await as_user(request, services(request).billing, "POST", "/api/payments/portal")
    return RedirectResponse(session["url"], status_code=303)
