"""The Pluggy half's control API under `/pluggy/_sandbox`: what Pluggy, banks and payers do.

- time: `POST /clock {frozen, at}` stops or restarts real time and, given `at` (an ISO timestamp
  with its offset), puts the clock there, back or ahead, running nothing (a test's fixed date;
  what was due in an hour stays an hour away); `POST /advance {days, hours, minutes, seconds}`
  moves the clock forward, running item steps, auto-syncs and timeouts on the way;
  `POST /reset` forgets everything.
- rate limits: `POST /rate-limits {enabled}` turns Pluggy's per-endpoint limits on or off.
- connectors: `POST /connectors/{id}/health {status}` (OFFLINE = maintenance).
- items: `POST /items/{id}/user-action` finishes the action an item waits for
  (WAITING_USER_ACTION, sandbox user `user-action`).
- transactions: `POST /items/{id}/transactions` adds, `.../transactions/update` changes and
  `.../transactions/delete` removes some, each with its transactions/* event;
  `.../transactions/poison` adds one that no database takes as it is (NUL bytes, over-long text).
- consents: `POST /consents/{id}/revoke`.
- payments: `POST /payments/{id}/complete|reject` (an intent, or a request's pending intent),
  `POST /payments/automatic-pix/{id}/fail`, and the pages a payer would see (`paymentUrl`,
  `consentUrl`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, Field

from provider_sandbox.pluggy import accounts, consents
from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.errors import PluggyError, new_router, not_found
from provider_sandbox.pluggy.items import lifecycle
from provider_sandbox.pluggy.lifespan import restart_sandbox
from provider_sandbox.pluggy.models import Account, Item
from provider_sandbox.pluggy.payments import flows
from provider_sandbox.pluggy.payments.models import PaymentIntent
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox
from provider_sandbox.pluggy.transactions.ledger import Ledger

router = new_router(prefix="/_sandbox", tags=["Pluggy sandbox control"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]

SANDBOX_PAYER_CPF = "529.982.247-25"


class ClockSetting(CamelModel):
    frozen: bool
    at: AwareDatetime | None = None


class TimeAdvance(CamelModel):
    days: float = Field(0, ge=0)
    hours: float = Field(0, ge=0)
    minutes: float = Field(0, ge=0)
    seconds: float = Field(0, ge=0)

    def as_delta(self) -> timedelta:
        return timedelta(
            days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )


class RateLimitSetting(CamelModel):
    enabled: bool


class HealthChange(CamelModel):
    status: Literal["ONLINE", "UNSTABLE", "OFFLINE"]


class NewTransactions(CamelModel):
    count: int = Field(5, ge=1, le=100_000)
    account_id: str | None = Field(None, alias="accountId")


class PoisonTarget(CamelModel):
    """Which account gets the poison transaction; every account of the item when none."""

    account_id: str | None = Field(None, alias="accountId")


# What a bank has been seen to send: NUL bytes (PostgreSQL refuses them in text), a 5,000-character
# description and a 600-character merchant name (past any sensible column size).
POISON_DESCRIPTION = "PAGAMENTO\x00 " + "X" * 4989
POISON_MERCHANT_NAME = "MERCADO\x00" + "M" * 592

POISON: dict[str, Any] = {
    "description": POISON_DESCRIPTION,
    "descriptionRaw": POISON_DESCRIPTION,
    "merchant": {
        "name": POISON_MERCHANT_NAME,
        "businessName": POISON_MERCHANT_NAME,
        "cnpj": "00000000000191",
        "cnae": None,
        "category": None,
    },
}


class TransactionChange(CamelModel):
    """Which transactions: explicit ids, or else the account's latest `count`."""

    count: int = Field(1, ge=1, le=500)
    account_id: str | None = Field(None, alias="accountId")
    transaction_ids: list[str] | None = Field(None, alias="transactionIds")


@router.get("/clock")
async def get_clock(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox time and whether real time moves it."""
    return sandbox.clock_state()


@router.post("/clock")
async def set_clock(body: ClockSetting, sandbox: Sandbox) -> dict[str, Any]:
    """Freeze the clock (tests step it with /advance) or let real time move it again, from `at`
    when given."""
    if body.frozen:
        sandbox.clock.freeze()
    else:
        sandbox.clock.unfreeze()
    if body.at is not None:
        await sandbox.set_clock(body.at.astimezone(UTC))
    return sandbox.clock_state()


@router.post("/advance")
async def advance_clock(body: TimeAdvance, sandbox: Sandbox) -> dict[str, Any]:
    """Move the clock forward; `{}` just runs whatever is already due."""
    return await sandbox.advance(body.as_delta())


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Forget everything (items, webhooks, keys, payments) and start over with a running clock."""
    sandbox = await restart_sandbox(request.app)
    return sandbox.clock_state()


@router.post("/rate-limits")
async def set_rate_limits(body: RateLimitSetting, sandbox: Sandbox) -> dict[str, Any]:
    """Turn Pluggy's rate limits on (429 over budget) or off; `/reset` restores the setting."""
    sandbox.rate_limits.enabled = body.enabled
    return sandbox.rate_limits.as_json()


@router.post("/connectors/{connector_id}/health")
async def set_connector_health(
    connector_id: int, body: HealthChange, sandbox: Sandbox
) -> dict[str, Any]:
    """Change a connector's health (OFFLINE refuses new items) and send connector/status_updated."""
    connector = sandbox.connector(connector_id)
    if connector.health != body.status:
        connector.health = body.status
        connector.updated_at = sandbox.now()
        sandbox.notifier.emit(
            "connector/status_updated",
            {"id": str(connector.id), "connectorId": connector.id, "data": {"status": body.status}},
        )
    return connector.as_json()


@router.post("/items/{item_id}/user-action")
async def finish_user_action(item_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """The user did what the institution asked; the item's execution goes on to UPDATED."""
    item = sandbox.item(item_id)
    if item.status != "WAITING_USER_ACTION":
        raise PluggyError(409, f"The item is {item.status}, not waiting for a user action")
    lifecycle.finish_user_action(sandbox, item)
    return item.as_json()


def _target_accounts(sandbox: PluggySandbox, item: Item, account_id: str | None) -> list[Account]:
    accounts = sandbox.item_accounts(item.id)
    if account_id is None:
        return accounts
    chosen = [account for account in accounts if account.id == account_id]
    if not chosen:
        raise not_found("account")
    return chosen


@router.post("/items/{item_id}/transactions")
async def add_transactions(item_id: str, body: NewTransactions, sandbox: Sandbox) -> dict[str, Any]:
    """New transactions, dated up to now, in the item's accounts; sends transactions/created."""
    item = sandbox.item(item_id)
    now = sandbox.now()
    added: dict[str, int] = {}
    for account in _target_accounts(sandbox, item, body.account_id):
        _add_and_announce(sandbox, item, account, body.count, now)
        added[account.id] = body.count
    return {"createdAtFrom": iso(now), "added": added}


@router.post("/items/{item_id}/transactions/poison")
async def add_poison_transaction(
    item_id: str, body: PoisonTarget, sandbox: Sandbox
) -> dict[str, Any]:
    """One new transaction per account carrying NUL bytes, a 5,000-character description and a
    600-character merchant name; sends transactions/created."""
    item = sandbox.item(item_id)
    now = sandbox.now()
    planted: dict[str, str] = {}
    for account in _target_accounts(sandbox, item, body.account_id):
        [index] = _add_and_announce(sandbox, item, account, 1, now, POISON)
        planted[account.id] = sandbox.ledgers[account.id].transaction_id(index)
    return {"planted": planted}


def _add_and_announce(
    sandbox: PluggySandbox,
    item: Item,
    account: Account,
    count: int,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> range:
    """`count` new transactions in the account (each with `changes`), then transactions/created."""
    item.triggered_by = "SYNC"
    ledger = sandbox.ledgers[account.id]
    numbers = ledger.add_batch(count, now, ledger.last_created_at or now)
    if changes:
        for index in numbers:
            ledger.update(index, now, changes)
    accounts.refresh_balance(account, ledger, now)
    lifecycle.announce_new_transactions(sandbox, item, account, now)
    return numbers


def _chosen(ledger: Ledger, change: TransactionChange) -> list[int]:
    if change.transaction_ids:
        found = [ledger.index_of(transaction_id) for transaction_id in change.transaction_ids]
        return [index for index in found if index is not None]
    latest: list[int] = []
    index = ledger.size - 1
    while index >= 0 and len(latest) < change.count:
        if not ledger.is_deleted(index):
            latest.append(index)
        index -= 1
    return latest


def _change_transactions(
    sandbox: PluggySandbox, item_id: str, change: TransactionChange, event: str
) -> dict[str, list[str]]:
    item = sandbox.item(item_id)
    now = sandbox.now()
    item.triggered_by = "SYNC"
    changed: dict[str, list[str]] = {}
    for account in _target_accounts(sandbox, item, change.account_id):
        ledger = sandbox.ledgers[account.id]
        numbers = _chosen(ledger, change)
        if not numbers:
            continue
        ids = [ledger.transaction_id(index) for index in numbers]
        for index in numbers:
            if event == "transactions/deleted":
                ledger.delete(index)
            else:
                _settle(ledger, index, now)
        changed[account.id] = ids
        sandbox.notifier.emit_for_item(event, item, accountId=account.id, transactionIds=ids)
    return changed


def _settle(ledger: Ledger, index: int, now: datetime) -> None:
    """What a later sync typically changes: a pending transaction posts, its text is cleaned."""
    current = ledger.transaction(index)
    ledger.update(
        index, now, {"status": "POSTED", "description": f"{current['description']} (atualizado)"}
    )


@router.post("/items/{item_id}/transactions/update")
async def update_transactions(
    item_id: str, body: TransactionChange, sandbox: Sandbox
) -> dict[str, Any]:
    """Change some transactions (they post, their description changes); transactions/updated."""
    return {"updated": _change_transactions(sandbox, item_id, body, "transactions/updated")}


@router.post("/items/{item_id}/transactions/delete")
async def delete_transactions(
    item_id: str, body: TransactionChange, sandbox: Sandbox
) -> dict[str, Any]:
    """Remove some transactions; sends transactions/deleted."""
    return {"deleted": _change_transactions(sandbox, item_id, body, "transactions/deleted")}


@router.post("/consents/{consent_id}/revoke")
async def revoke_consent(consent_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """The user revokes the consent at their bank: the item stops with item/error."""
    consent = consents.consent_or_404(sandbox, consent_id)
    consents.revoke(sandbox, consent)
    item = sandbox.items.get(consent.item_id)
    if item is not None:
        lifecycle.stop_with_error(sandbox, item, "USER_AUTHORIZATION_NOT_GRANTED", "USER")
    return consent.as_json()


def _intent(sandbox: PluggySandbox, payment_id: str) -> PaymentIntent:
    """An intent by its id, or the newest intent of the payment request with that id."""
    intent = sandbox.payments.intents.get(payment_id)
    if intent is not None:
        return intent
    of_request = [i for i in sandbox.payments.intents.values() if i.request.id == payment_id]
    if not of_request:
        raise not_found("payment intent")
    return of_request[-1]


@router.post("/payments/{payment_id}/complete")
async def complete_payment(payment_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """The payer authorizes at their bank; the payment then settles as time passes."""
    intent = _intent(sandbox, payment_id)
    flows.authorize(sandbox, intent)
    return intent.as_json()


@router.post("/payments/{payment_id}/reject")
async def reject_payment(payment_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """The payer refuses (before authorizing) or the bank refuses the payment (after)."""
    intent = _intent(sandbox, payment_id)
    flows.reject(sandbox, intent)
    return intent.as_json()


@router.post("/payments/automatic-pix/{payment_id}/fail")
async def fail_automatic_pix_payment(payment_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """A scheduled Automatic PIX charge fails for lack of funds."""
    for request in sandbox.payments.requests.values():
        for payment in request.automatic_pix_payments:
            if payment.id == payment_id:
                flows.fail_automatic_payment(sandbox, request, payment)
                return payment.as_json()
    raise not_found("automatic pix payment")


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body style='font-family:sans-serif;max-width:32rem;margin:3rem auto'>"
        f"<h1>{title}</h1>{body}</body></html>"
    )


@router.get("/pay/{request_id}", response_class=HTMLResponse)
async def payment_page(request_id: str, sandbox: Sandbox) -> HTMLResponse:
    """The stand-in for Pluggy's payment page (`paymentUrl`): pay with the sandbox bank."""
    request = sandbox.payments.requests.get(request_id)
    if request is None:
        raise not_found("payment request")
    amount = f"R$ {request.amount:.2f}" if request.amount is not None else "PIX Automático"
    recipient = escape(request.recipient.name if request.recipient else "")
    return _page(
        "Pagamento (sandbox)",
        f"<p>{escape(request.description or '')}</p><p><b>{amount}</b> para {recipient}</p>"
        f"<p>Status: {request.status}</p>"
        f"<form method='post' action='{sandbox.public_url}/_sandbox/pay/{request.id}'>"
        "<button>Pagar com o Pluggy Bank</button></form>",
    )


@router.post("/pay/{request_id}")
async def pay_with_sandbox_bank(request_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """What the payment page does: an intent at the sandbox bank, authorized at once."""
    request = sandbox.payments.requests.get(request_id)
    if request is None:
        raise not_found("payment request")
    if request.status != "CREATED":
        raise PluggyError(409, f"The payment request is {request.status}")
    now = sandbox.now()
    intent_id = str(uuid.uuid4())
    intent = PaymentIntent(
        id=intent_id,
        request=request,
        connector=sandbox.connector(0),
        payer_tax_number="".join(char for char in SANDBOX_PAYER_CPF if char.isdigit()),
        payer_name="Pagador Sandbox",
        consent_url=f"{sandbox.public_url}/_sandbox/payments/intents/{intent_id}/consent",
        created_at=now,
        updated_at=now,
    )
    flows.open_intent(sandbox, intent)
    flows.authorize(sandbox, intent)
    return intent.as_json()


@router.get("/payments/intents/{intent_id}/consent", response_class=HTMLResponse)
async def consent_page(intent_id: str, sandbox: Sandbox) -> HTMLResponse:
    """The stand-in for the payer's bank (`consentUrl`): authorize or refuse."""
    intent = _intent(sandbox, intent_id)
    base = f"{sandbox.public_url}/_sandbox/payments/{intent.id}"
    return _page(
        f"{escape(intent.connector.name)} (sandbox)",
        f"<p>Status: {intent.status}</p>"
        f"<form method='post' action='{base}/complete'><button>Autorizar</button></form>"
        f"<form method='post' action='{base}/reject'><button>Recusar</button></form>",
    )
