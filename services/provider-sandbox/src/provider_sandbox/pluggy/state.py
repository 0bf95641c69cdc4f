"""Everything the Pluggy half remembers, held in memory for the life of the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request

from provider_sandbox.pluggy.clock import SandboxClock, iso
from provider_sandbox.pluggy.connectors import Connector, initial_connectors
from provider_sandbox.pluggy.errors import not_found
from provider_sandbox.pluggy.models import (
    Account,
    ConnectToken,
    Consent,
    Item,
    RegisteredWebhook,
)
from provider_sandbox.pluggy.notifier import Notifier, pluggy_retries
from provider_sandbox.pluggy.payments.models import PaymentsState
from provider_sandbox.pluggy.rate_limits import RateLimiter
from provider_sandbox.pluggy.timeline import Timeline
from provider_sandbox.pluggy.transactions.ledger import Ledger, prefix_of
from provider_sandbox.pluggy.transactions.listing import CURSOR_PAGE_SIZE
from provider_sandbox.webhooks import WebhookDispatcher


@dataclass
class PluggySandbox:
    """The Pluggy stand-in's state: credentials, catalogue, items and their data, payments."""

    client_id: str
    client_secret: str
    public_url: str
    clock: SandboxClock
    timeline: Timeline
    notifier: Notifier
    connectors: dict[int, Connector] = field(default_factory=initial_connectors)
    api_keys: dict[str, datetime] = field(default_factory=dict)
    connect_tokens: dict[str, ConnectToken] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    webhooks: dict[str, RegisteredWebhook] = field(default_factory=dict)
    payments: PaymentsState = field(default_factory=PaymentsState)
    rate_limits: RateLimiter = field(default_factory=lambda: RateLimiter(enabled=False))
    # Transactions per page of `GET /v2/transactions` (Pluggy's is 500; tests make it small).
    transactions_page_size: int = CURSOR_PAGE_SIZE
    _ledgers_by_prefix: dict[bytes, Ledger] = field(default_factory=dict)

    def now(self) -> datetime:
        """The sandbox's current time."""
        return self.clock.now()

    def clock_state(self) -> dict[str, Any]:
        """The clock as the control API shows it."""
        return {"now": iso(self.now()), "frozen": self.clock.frozen}

    async def set_clock(self, moment: datetime) -> dict[str, Any]:
        """Put the clock at `moment`, back or ahead (a test's fixed date), running nothing."""
        await self.timeline.move_to(moment)
        return self.clock_state()

    async def advance(self, delta: timedelta) -> dict[str, Any]:
        """Move the clock forward by `delta`, running what falls due on the way."""
        ran = await self.timeline.advance(delta)
        return {**self.clock_state(), "actionsRun": ran}

    def item(self, item_id: str) -> Item:
        """The item, or Pluggy's 404."""
        item = self.items.get(item_id)
        if item is None:
            raise not_found("item")
        return item

    def account(self, account_id: str) -> Account:
        """The account, or Pluggy's 404."""
        account = self.accounts.get(account_id)
        if account is None:
            raise not_found("account")
        return account

    def connector(self, connector_id: int) -> Connector:
        """The connector, or Pluggy's 404."""
        connector = self.connectors.get(connector_id)
        if connector is None:
            raise not_found("connector")
        return connector

    def item_accounts(self, item_id: str) -> list[Account]:
        """The item's accounts, in the order they were found."""
        return [account for account in self.accounts.values() if account.item_id == item_id]

    def add_ledger(self, ledger: Ledger) -> None:
        """Keep an account's transactions."""
        self.ledgers[ledger.account_id] = ledger
        self._ledgers_by_prefix[ledger.prefix] = ledger

    def ledger_of_transaction(self, transaction_id: str) -> Ledger | None:
        """The ledger a transaction id belongs to (its first bytes name the account)."""
        prefix = prefix_of(transaction_id)
        return self._ledgers_by_prefix.get(prefix) if prefix else None

    def forget_item(self, item_id: str) -> None:
        """Drop an item with its accounts, transactions and consents."""
        for account in self.item_accounts(item_id):
            ledger = self.ledgers.pop(account.id, None)
            if ledger is not None:
                self._ledgers_by_prefix.pop(ledger.prefix, None)
            del self.accounts[account.id]
        for consent_id in [c.id for c in self.consents.values() if c.item_id == item_id]:
            del self.consents[consent_id]
        del self.items[item_id]


def new_sandbox(
    client_id: str,
    client_secret: str,
    public_url: str,
    dispatcher: WebhookDispatcher,
    webhook_retry_seconds: float,
    rate_limits: bool,
) -> PluggySandbox:
    """A fresh sandbox with the connector catalogue and nothing else."""
    clock = SandboxClock()
    timeline = Timeline(clock)
    webhooks: dict[str, RegisteredWebhook] = {}
    notifier = Notifier(
        dispatcher,
        client_id,
        lambda: list(webhooks.values()),
        pluggy_retries(timeline, webhook_retry_seconds),
    )
    return PluggySandbox(
        client_id=client_id,
        client_secret=client_secret,
        public_url=public_url,
        clock=clock,
        timeline=timeline,
        notifier=notifier,
        webhooks=webhooks,
        rate_limits=RateLimiter(enabled=rate_limits),
    )


def get_sandbox(request: Request) -> PluggySandbox:
    """The app's Pluggy sandbox (a FastAPI dependency)."""
    sandbox: PluggySandbox = request.app.state.pluggy
    return sandbox
