"""Stand-ins for Stripe's hosted pages: Checkout and the hosted invoice page.

A person picks one of the documented test cards and pays; 3-D Secure cards get a challenge page
where the authentication can be completed or failed.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from provider_sandbox.stripe.api import State
from provider_sandbox.stripe.checkout import complete_checkout, success_redirect
from provider_sandbox.stripe.errors import StripeApiError
from provider_sandbox.stripe.forms import optional_str, parse_form
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.payments import TEST_CARDS, SandboxCard
from provider_sandbox.stripe.state import RequestInfo, StripeObject
from provider_sandbox.stripe.subscriptions import pay_with_new_card

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}"
    ".error{color:#b00020}.muted{color:#666}label{display:block;margin:.4rem 0}"
    "button{margin-top:1rem;padding:.5rem 1.5rem}"
)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><p class='muted'>Stripe sandbox (test mode)</p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code)


def _money(centavos: int) -> str:
    return f"R$ {centavos / 100:,.2f}"


def _card_option(card: SandboxCard, checked: bool) -> str:
    mark = " checked" if checked else ""
    return (
        f"<label><input type='radio' name='card' value='{card.number}'{mark}>"
        f" {escape(card.label)}: {card.number}</label>"
    )


def _card_choices() -> str:
    cards = TEST_CARDS.values()
    return "".join(_card_option(card, index == 0) for index, card in enumerate(cards))


def _error(message: str | None) -> str:
    return f"<p class='error'>{escape(message)}</p>" if message else ""


async def _form(request: Request) -> dict[str, str]:
    parsed = parse_form((await request.body()).decode("utf-8", errors="replace"))
    return {key: value for key, value in parsed.items() if isinstance(value, str)}


def _hosted_request() -> RequestInfo:
    return RequestInfo(id=new_id("req", 14))


def _challenge(action: str, card_number: str, extra_fields: str = "") -> HTMLResponse:
    hidden = f"<input type='hidden' name='card' value='{escape(card_number)}'>{extra_fields}"
    buttons = (
        "<button name='authentication' value='complete'>Complete authentication</button> "
        "<button name='authentication' value='fail'>Fail authentication</button>"
    )
    body = (
        "<p>Your bank asks you to confirm this payment (3-D Secure test page).</p>"
        f"<form method='post' action='{escape(action)}'>{hidden}{buttons}</form>"
    )
    return _page("3-D Secure", body)


def _checkout_page(session: StripeObject, state: State, error: str | None = None) -> HTMLResponse:
    extras = state.checkout_extras[session["id"]]
    items = "".join(
        f"<li>{item['quantity']} x {escape(item['description'])}: "
        f"{_money(item['amount_total'])}{_per_interval(item['price'])}</li>"
        for item in extras.line_items
    )
    trial = (
        f"<p>{extras.trial_period_days}-day free trial; nothing is charged today.</p>"
        if extras.trial_period_days
        else ""
    )
    email = (
        "<label>Email <input type='email' name='email' required></label>"
        if session["customer"] is None and session["customer_email"] is None
        else ""
    )
    cancel = (
        f"<p><a href='{escape(session['cancel_url'])}'>Cancel and go back</a></p>"
        if session["cancel_url"]
        else ""
    )
    action = "Subscribe" if session["mode"] == "subscription" else "Pay"
    body = (
        f"<ul>{items}</ul><p>Total today: <b>{_money(session['amount_total'])}</b></p>{trial}"
        f"{_error(error)}<form method='post' action='/checkout/{session['id']}/pay'>{email}"
        f"{_card_choices()}<button>{action}</button></form>{cancel}"
    )
    status = 402 if error else 200
    return _page(action, body, status)


def _per_interval(price: StripeObject) -> str:
    recurring = price["recurring"]
    return f" / {recurring['interval']}" if recurring else ""


@router.get("/checkout/{session_id}")
async def checkout_page(session_id: str, state: State) -> HTMLResponse:
    """The hosted Checkout page of an open session."""
    session = state.objects.get(session_id)
    if session is None or session["object"] != "checkout.session":
        return _page("Not found", "<p>No such Checkout session.</p>", 404)
    if session["status"] != "open":
        return _page("Checkout", f"<p>This session is {escape(session['status'])}.</p>", 410)
    return _checkout_page(session, state)


@router.post("/checkout/{session_id}/pay", response_model=None)
async def checkout_pay(session_id: str, request: Request, state: State) -> Response:
    """Pay from the hosted page; a 3-D Secure card first gets the challenge page."""
    form = await _form(request)
    card_number = form.get("card", "")
    card = TEST_CARDS.get(card_number)
    authentication = optional_str(form, "authentication")
    if card is not None and card.on_session == "authenticate" and authentication is None:
        email = escape(form.get("email", ""))
        return _challenge(
            f"/checkout/{session_id}/pay",
            card_number,
            f"<input type='hidden' name='email' value='{email}'>",
        )
    try:
        session = complete_checkout(
            state,
            session_id,
            card_number,
            _hosted_request(),
            authenticated=authentication != "fail",
            email=optional_str(form, "email"),
        )
    except StripeApiError as error:
        session = state.get(session_id, "checkout.session")
        return _checkout_page(session, state, error=str(error))
    target = success_redirect(session) or f"/checkout/{session_id}/complete"
    return RedirectResponse(target, status_code=303)


@router.get("/checkout/{session_id}/complete")
async def checkout_complete(session_id: str, state: State) -> HTMLResponse:
    """Shown after paying when the session had no success_url."""
    session = state.get(session_id, "checkout.session")
    if session["mode"] == "payment":
        return _page("Thank you", f"<p>Paid {_money(session['amount_total'])}.</p>")
    return _page("Thank you", f"<p>Subscription {escape(str(session['subscription']))} is set.</p>")


def _invoice_page(invoice: StripeObject, message: str | None = None) -> HTMLResponse:
    lines = "".join(
        f"<li>{escape(line['description'])}: {_money(line['amount'])}</li>"
        for line in invoice["lines"]["data"]
    )
    pay = (
        f"<form method='post' action='/invoice/{invoice['id']}/pay'>{_card_choices()}"
        "<button>Pay</button></form>"
        if invoice["status"] == "open"
        else ""
    )
    body = (
        f"<p>Invoice {escape(str(invoice['number']))}: <b>{escape(invoice['status'])}</b></p>"
        f"<ul>{lines}</ul><p>Amount due: {_money(invoice['amount_remaining'])}</p>"
        f"{_error(message)}{pay}"
    )
    return _page("Invoice", body)


@router.get("/invoice/{invoice_id}")
async def invoice_page(invoice_id: str, state: State) -> HTMLResponse:
    """The hosted invoice page: status, lines, and a way to pay an open invoice."""
    return _invoice_page(state.get(invoice_id, "invoice"))


@router.post("/invoice/{invoice_id}/pay")
async def invoice_pay(invoice_id: str, request: Request, state: State) -> HTMLResponse:
    """Pay an open invoice with a test card (3-D Secure cards get the challenge page first)."""
    invoice = state.get(invoice_id, "invoice")
    form = await _form(request)
    card_number = form.get("card", "")
    card = TEST_CARDS.get(card_number)
    authentication = optional_str(form, "authentication")
    if card is not None and card.on_session == "authenticate" and authentication is None:
        return _challenge(f"/invoice/{invoice_id}/pay", card_number)
    try:
        outcome = pay_with_new_card(
            state, invoice, card_number, _hosted_request(), authenticated=authentication != "fail"
        )
    except StripeApiError as error:
        return _invoice_page(invoice, str(error))
    failed = None if outcome == "succeed" else "The payment did not go through."
    return _invoice_page(invoice, failed)


@router.get("/invoice/{invoice_id}/pdf")
async def invoice_pdf(invoice_id: str, state: State) -> PlainTextResponse:
    """A plain-text stand-in for the invoice PDF."""
    invoice = state.get(invoice_id, "invoice")
    lines = "\n".join(
        f"{line['description']}: {_money(line['amount'])}" for line in invoice["lines"]["data"]
    )
    heading = f"Invoice {invoice['number']} ({invoice['status']})"
    text = f"{heading}\n{lines}\nTotal: {_money(invoice['total'])}\n"
    return PlainTextResponse(text)
