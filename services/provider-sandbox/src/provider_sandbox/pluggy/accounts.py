"""Accounts an item finds (checking, savings, credit card) and the transactions each sync brings.

A personal connection finds a checking account, a savings account and a credit card; a business
one a checking account and a card. The first sync brings a year of history; each later sync
brings a few transactions per day since the previous one (Pluggy's sandbox data refreshes daily).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from provider_sandbox.pluggy.auth import ApiCaller
from provider_sandbox.pluggy.documents import cnpj, cpf
from provider_sandbox.pluggy.errors import new_router
from provider_sandbox.pluggy.models import Account, AccountSubtype, AccountType, Item, page
from provider_sandbox.pluggy.sandbox_users import SandboxLogin
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox
from provider_sandbox.pluggy.transactions.catalog import BASE_COUNTS, PEOPLE, AccountKind
from provider_sandbox.pluggy.transactions.generator import Holder
from provider_sandbox.pluggy.transactions.ledger import Ledger

HISTORY = timedelta(days=365)
MAX_CATCH_UP_DAYS = 30
DAILY_COUNTS: dict[AccountKind, int] = {"CHECKING": 3, "SAVINGS": 0, "CREDIT_CARD": 2}

router = new_router(tags=["Pluggy accounts"])
# A connect token gets a reduced list of its own items' accounts.
widget_router = new_router(tags=["Pluggy accounts"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


@dataclass(frozen=True)
class _AccountPlan:
    kind: AccountKind
    type: AccountType
    subtype: AccountSubtype
    name: str


_CHECKING = _AccountPlan("CHECKING", "BANK", "CHECKING_ACCOUNT", "Conta Corrente")
_SAVINGS = _AccountPlan("SAVINGS", "BANK", "SAVINGS_ACCOUNT", "Conta Poupança")
_CARD = _AccountPlan("CREDIT_CARD", "CREDIT", "CREDIT_CARD", "Mastercard Black")


@dataclass(frozen=True)
class NewTransactions:
    """Transactions a sync added to one account, first seen at `created_at`."""

    account: Account
    created_at: datetime
    count: int


def _number(item_id: str, salt: str) -> int:
    digest = hashlib.blake2b(f"{item_id}:{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def holder_of(item: Item) -> Holder:
    """Who holds the item's accounts (made up, stable per item)."""
    seed = _number(item.id, "holder")
    branch = f"{seed % 9000 + 1000:04d}"
    account_number = f"{seed % 90000 + 10000:05d}-{seed % 10}"
    if item.connector.type == "BUSINESS_BANK":
        name = f"{PEOPLE[seed % len(PEOPLE)].name.split()[0]} Comércio e Serviços LTDA"
        return Holder(name, cnpj(seed), "CNPJ", item.connector.bank, branch, account_number)
    name = PEOPLE[seed % len(PEOPLE)].name
    return Holder(name, cpf(seed), "CPF", item.connector.bank, branch, account_number)


def _plans(item: Item, login: SandboxLogin) -> list[_AccountPlan]:
    banking = [] if login.accounts_fail else [_CHECKING]
    if item.connector.type == "PERSONAL_BANK" and not login.accounts_fail:
        banking.append(_SAVINGS)
    return [*banking, _CARD]


def collect_accounts(sandbox: PluggySandbox, item: Item, login: SandboxLogin) -> None:
    """Create the item's accounts on its first sync, or mark them refreshed on later ones."""
    now = sandbox.now()
    holder = holder_of(item)
    for plan in _plans(item, login):
        account_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pluggy-sandbox:{item.id}:{plan.kind}"))
        account = sandbox.accounts.get(account_id)
        if account is None:
            sandbox.accounts[account_id] = _new_account(sandbox, item, plan, holder, account_id)
        else:
            account.updated_at = now


def _new_account(
    sandbox: PluggySandbox, item: Item, plan: _AccountPlan, holder: Holder, account_id: str
) -> Account:
    now = sandbox.now()
    seed = _number(account_id, "balance")
    is_card = plan.kind == "CREDIT_CARD"
    number = {
        "CHECKING": f"{holder.branch}/{holder.account_number}",
        "SAVINGS": f"{holder.branch}/{seed % 90000 + 10000:05d}-{seed % 10}",
        "CREDIT_CARD": f"xxxx{seed % 10000:04d}",
    }[plan.kind]
    account = Account(
        id=account_id,
        item_id=item.id,
        type=plan.type,
        subtype=plan.subtype,
        number=number,
        name=plan.name,
        marketing_name=f"{item.connector.name} {plan.name}".upper(),
        owner=holder.name,
        tax_number=holder.document,
        created_at=now,
        updated_at=now,
        credit_limit_cents=(seed % 20 + 10) * 100_000 if is_card else 0,
        close_day=seed % 20 + 1,
    )
    opening = 0 if is_card else seed % 1_500_000 + 500_000
    sandbox.add_ledger(Ledger(account_id, plan.kind, holder, opening))
    return account


def collect_transactions(
    sandbox: PluggySandbox, item: Item, login: SandboxLogin
) -> list[NewTransactions]:
    """Add the transactions this sync finds to each of the item's refreshed accounts."""
    now = sandbox.now()
    added = []
    for account in sandbox.item_accounts(item.id):
        ledger = sandbox.ledgers[account.id]
        if login.accounts_fail and account.type == "BANK":
            continue
        count = _new_transaction_count(ledger, now, login)
        if count:
            ledger.add_batch(count, now, ledger.last_created_at or now - HISTORY)
            added.append(NewTransactions(account, now, count))
        refresh_balance(account, ledger, now)
    return added


def _new_transaction_count(ledger: Ledger, now: datetime, login: SandboxLogin) -> int:
    if ledger.last_created_at is None:
        return BASE_COUNTS[ledger.kind] * login.perf_multiplier
    days = (now - ledger.last_created_at) // timedelta(days=1)
    return min(days, MAX_CATCH_UP_DAYS) * DAILY_COUNTS[ledger.kind]


def refresh_balance(account: Account, ledger: Ledger, now: datetime) -> None:
    """Bring the account's balance in line with its transactions."""
    if account.type == "BANK":
        account.balance_cents = ledger.balance_cents
    else:
        # The open bill: a share of the limit that moves with the number of purchases.
        account.balance_cents = (ledger.size * 7919) % (account.credit_limit_cents // 2 or 1)
    account.updated_at = now


@widget_router.get("/accounts")
async def list_accounts(
    sandbox: Sandbox,
    who: ApiCaller,
    item_id: Annotated[str, Query(alias="itemId")],
    account_type: Annotated[Literal["BANK", "CREDIT"] | None, Query(alias="type")] = None,
) -> dict[str, Any]:
    """The item's accounts (connect tokens get a reduced view of their own items' accounts)."""
    who.require_item(item_id)
    accounts = [
        account.as_json(reduced=who.is_connect_token)
        for account in sandbox.item_accounts(item_id)
        if account_type in (None, account.type)
    ]
    return page(accounts)


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One account."""
    return sandbox.account(account_id).as_json()
