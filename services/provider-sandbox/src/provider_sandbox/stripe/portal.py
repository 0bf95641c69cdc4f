"""Customer portal sessions (`/v1/billing_portal/sessions`) and a small portal page."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from provider_sandbox.stripe.api import Call, State, require_api_key
from provider_sandbox.stripe.customers import live_customer
from provider_sandbox.stripe.errors import resource_missing
from provider_sandbox.stripe.forms import optional_str, parse_form, required_str
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState
from provider_sandbox.stripe.subscription_routes import live_subscription, update_subscription

api_router = APIRouter(dependencies=[Depends(require_api_key)])
page_router = APIRouter(include_in_schema=False)
router = APIRouter()

PORTAL_CONFIGURATION = "bpc_sandbox_default"


@api_router.post("/v1/billing_portal/sessions")
async def create_session(call: Call) -> JSONResponse:
    """A portal session for a customer; its `url` is the sandbox's portal page."""
    state = call.state
    customer_id = required_str(call.params, "customer")
    live_customer(state, customer_id, param="customer")
    session_id = new_id("bps")
    session = state.add(
        {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": optional_str(call.params, "configuration") or PORTAL_CONFIGURATION,
            "created": state.now(),
            "customer": customer_id,
            "flow": None,
            "livemode": False,
            "locale": optional_str(call.params, "locale"),
            "on_behalf_of": None,
            "return_url": optional_str(call.params, "return_url"),
            "url": f"{state.public_url}/billing_portal/{session_id}",
        }
    )
    return call.respond(session)


def _subscription_row(session_id: str, subscription: StripeObject) -> str:
    plan = ", ".join(escape(item["price"]["nickname"]) for item in subscription["items"]["data"])
    ending = subscription["cancel_at_period_end"]
    action, label = ("renew", "Don't cancel") if ending else ("cancel", "Cancel at period end")
    form = (
        f"<form method='post' action='/billing_portal/{session_id}/subscriptions/"
        f"{subscription['id']}'><button name='action' value='{action}'>{label}</button></form>"
    )
    note = " (ends at period end)" if ending else ""
    return f"<li>{plan}: {escape(subscription['status'])}{note}{form}</li>"


def _portal_session(state: StripeState, session_id: str) -> StripeObject:
    return state.get(session_id, "billing_portal.session")


@page_router.get("/billing_portal/{session_id}")
async def portal_page(session_id: str, state: State) -> HTMLResponse:
    """The customer's subscriptions, each with a cancel/renew button, and a way back."""
    session = _portal_session(state, session_id)
    subscriptions = [
        each
        for each in state.of_type("subscription")
        if each["customer"] == session["customer"] and each["status"] != "canceled"
    ]
    rows = "".join(_subscription_row(session_id, each) for each in subscriptions)
    back = (
        f"<p><a href='{escape(session['return_url'])}'>Return</a></p>"
        if session["return_url"]
        else ""
    )
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Billing</title></head><body>"
        f"<p>Stripe sandbox (test mode)</p><h1>Your subscriptions</h1><ul>{rows}</ul>{back}"
        "</body></html>"
    )
    return HTMLResponse(html)


@page_router.post("/billing_portal/{session_id}/subscriptions/{subscription_id}")
async def portal_action(
    session_id: str, subscription_id: str, request: Request, state: State
) -> RedirectResponse:
    """Cancel at period end, or take that back, as the portal does."""
    session = _portal_session(state, session_id)
    subscription = live_subscription(state, subscription_id)
    if subscription["customer"] != session["customer"]:
        raise resource_missing(subscription_id)
    form = parse_form((await request.body()).decode("utf-8", errors="replace"))
    at_period_end = "true" if form.get("action") == "cancel" else "false"
    update_subscription(
        state,
        subscription,
        {"cancel_at_period_end": at_period_end},
        RequestInfo(id=new_id("req", 14)),
    )
    return RedirectResponse(f"/billing_portal/{session_id}", status_code=303)


router.include_router(api_router)
router.include_router(page_router)
