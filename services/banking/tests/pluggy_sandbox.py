"""Pluggy for banking's tests: the provider sandbox's Pluggy in process, its state in reach.

`SandboxPluggy` is what banking's Pluggy client talks to (`httpx.MockTransport(sandbox_pluggy)`,
or its `wire`): the sandbox answers every call. Tests put items, accounts, transactions and
consents in the sandbox's state with the helper methods, as if a bank had sent them earlier,
script failures with `fail_next`/`fail_after`, and read `calls` to see what was asked. Pluggy
goes on in steps as its clock moves (`advance`) and tells of each by webhook (`webhooks`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from provider_sandbox.pluggy.accounts import holder_of
from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.connectors import Connector
from provider_sandbox.pluggy.lifespan import MOUNT_PATH
from provider_sandbox.pluggy.models import Account, Consent, Item, RegisteredWebhook
from provider_sandbox.pluggy.state import PluggySandbox
from provider_sandbox.pluggy.testing import HOOK_URL, Answer, Receiver, Wire
from provider_sandbox.pluggy.transactions.catalog import AccountKind
from provider_sandbox.pluggy.transactions.ledger import Ledger
from provider_sandbox.webhooks import WebhookDispatcher

Json = dict[str, Any]
MFA_TOKEN = "123456"

_KINDS: dict[str, AccountKind] = {
    "CHECKING_ACCOUNT": "CHECKING",
    "SAVINGS_ACCOUNT": "SAVINGS",
    "CREDIT_CARD": "CREDIT_CARD",
}
# Item fields a test may set, by their name in Pluggy's JSON.
_ITEM_FIELDS = {
    "status": "status",
    "executionStatus": "execution_status",
    "error": "error",
    "parameter": "parameter",
    "statusDetail": "status_detail",
    "clientUserId": "client_user_id",
}
_ITEM_TIMES = {
    "lastUpdatedAt": "last_updated_at",
    "consentExpiresAt": "consent_expires_at",
    "nextAutoSyncAt": "next_auto_sync_at",
}


def now() -> datetime:
    return datetime.now(UTC)


def error(status: int, code_description: str, message: str) -> httpx.Response:
    """Pluggy's error answer, for a test to script."""
    return httpx.Response(
        status,
        json={"code": status, "codeDescription": code_description, "message": message},
    )


def ids_of(transactions: list[Json]) -> Iterator[str]:
    return (t["id"] for t in transactions)


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def _parse(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def _later_than(moment: datetime | None) -> datetime:
    """A moment strictly after `moment` (the clock may not have moved a millisecond yet)."""
    if moment is None:
        return now()
    return max(now(), moment + timedelta(milliseconds=1))


class _Items(Mapping[str, Json]):
    """The sandbox's items in Pluggy's shape; deleting one makes Pluggy forget it alone."""

    def __init__(self, state: PluggySandbox) -> None:
        self._state = state

    def __getitem__(self, item_id: str) -> Json:
        return self._state.items[item_id].as_json()

    def __delitem__(self, item_id: str) -> None:
        del self._state.items[item_id]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._state.items))

    def __len__(self) -> int:
        return len(self._state.items)


class _Connector(dict[str, Any]):
    """A connector as Pluggy holds it: setting `isOpenFinance` changes what Pluggy answers."""

    def __init__(self, connector: Connector) -> None:
        super().__init__(connector.as_json())
        self._connector = connector

    def __setitem__(self, name: str, value: Any) -> None:
        if name != "isOpenFinance":
            raise KeyError(f"the sandbox's connectors do not change {name}")
        super().__setitem__(name, value)
        self._connector.is_open_finance = value


class _Transaction(dict[str, Any]):
    """A transaction as Pluggy holds it: setting or deleting a field changes what Pluggy answers
    (however malformed), as a bank's data would."""

    def __init__(self, ledger: Ledger, index: int) -> None:
        super().__init__(ledger.transaction(index))
        self._ledger = ledger
        self._index = index

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        self._ledger.override(self._index, name, value)

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._ledger.override(self._index, name)


class SandboxPluggy:
    """The sandbox's Pluggy for one test; call it with an `httpx.Request`.

    `app` sends its webhooks to `receiver`; a webhook for every event is registered, as banking's
    deployment registers one for the gateway.
    """

    def __init__(self, app: FastAPI, receiver: Receiver) -> None:
        self.state: PluggySandbox = app.state.pluggy
        self.wire = Wire(app)
        self.items = _Items(self.state)
        # The connectors a test made (others keep the sandbox catalogue's name and settings).
        self._connectors_added: set[int] = set()
        self._app = app
        self._receiver = receiver
        self._webhooks_taken = 0
        registered = now()
        hook = RegisteredWebhook(str(uuid.uuid4()), HOOK_URL, "all", {}, registered, registered)
        self.state.webhooks[hook.id] = hook

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        return await self.wire.handle_async_request(request)

    # --- Pluggy's clock, what users do on its pages, and the webhooks it sends ----------------

    async def advance(self, **delta: float) -> None:
        """Move Pluggy's clock on (`seconds=`, `minutes=`, ...): items, payments and schedules
        take the steps that fall due, sending their webhooks."""
        await self._control("/advance", delta)

    async def stop_clock_at(self, moment: datetime) -> None:
        """Stop Pluggy's clock at `moment` (aware), back or ahead of where it stands."""
        await self._control("/clock", {"frozen": True, "at": moment.isoformat()})
        assert self.state.now() == moment

    async def pay(self, request_id: str) -> Json:
        """The payer pays the request on its payment page with the sandbox bank (authorised at
        once, settled as the clock moves); the payment intent."""
        return await self._control(f"/pay/{request_id}", {})

    async def webhooks(self) -> list[Json]:
        """The webhooks Pluggy sent since the last call, in the order it sent them."""
        dispatcher: WebhookDispatcher = self._app.state.webhooks
        await dispatcher.drain()
        sent = [delivery.payload for delivery in self._receiver.deliveries[self._webhooks_taken :]]
        self._webhooks_taken += len(sent)
        return sent

    async def _control(self, path: str, body: Json) -> Json:
        """A call to the sandbox's control API (never one of banking's calls to Pluggy)."""
        transport = httpx.ASGITransport(app=self._app)
        base_url = f"http://sandbox{MOUNT_PATH}/_sandbox"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            response = await http.post(path, json=body)
        assert response.status_code == 200, response.text
        answer: Json = response.json()
        return answer

    # --- what was asked, and scripted failures --------------------------------------------------

    @property
    def requests(self) -> list[httpx.Request]:
        return self.wire.requests

    @property
    def calls(self) -> list[tuple[str, str]]:
        return self.wire.calls

    @property
    def received(self) -> list[tuple[str, str, Json | None]]:
        """(method, path, JSON body) of every request, in order."""
        return [
            (method, path, json.loads(request.content) if request.content else None)
            for (method, path), request in zip(self.wire.calls, self.wire.requests, strict=True)
        ]

    def calls_to(self, method: str, path_pattern: str) -> int:
        return self.wire.calls_to(method, path_pattern)

    def fail_next(self, method: str, path_pattern: str, *responses: Answer) -> None:
        """Answer the next requests matching `method` and the path regex with these (or raise
        them, as the network would), in turn."""
        self.wire.answer_next(method, path_pattern, *responses)

    def fail_after(self, method: str, path_pattern: str, passes: int, response: Answer) -> None:
        """Let `passes` matching requests through, then answer `response` until `recover()`."""
        self.wire.answer_after(method, path_pattern, passes, response)

    def recover(self) -> None:
        """Forget every scripted failure."""
        self.wire.forget_answers()

    def revoke_api_keys(self) -> None:
        """Pluggy forgets every key it issued (as if they expired early)."""
        self.state.api_keys.clear()

    @property
    def client_id(self) -> str:
        return self.state.client_id

    @property
    def client_secret(self) -> str:
        return self.state.client_secret

    @property
    def page_size(self) -> int:
        return self.state.transactions_page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        self.state.transactions_page_size = size

    # --- reading Pluggy's state -----------------------------------------------------------------

    @property
    def accounts(self) -> dict[str, Json]:
        return {account_id: a.as_json() for account_id, a in self.state.accounts.items()}

    @property
    def transactions(self) -> dict[str, list[Json]]:
        return {
            account_id: [ledger.transaction(index) for index in ledger.alive(0, ledger.size)]
            for account_id, ledger in self.state.ledgers.items()
        }

    @property
    def payment_requests(self) -> dict[str, Json]:
        return {request_id: r.as_json() for request_id, r in self.state.payments.requests.items()}

    @property
    def automatic_pix_payments(self) -> dict[str, Json]:
        return {
            payment.id: payment.as_json()
            for request in self.state.payments.requests.values()
            for payment in request.automatic_pix_payments
        }

    # --- changing Pluggy's state ------------------------------------------------------------------

    def add_connector(
        self, connector_id: int = 201, name: str = "Pluggy Bank", *, has_mfa: bool = False
    ) -> Json:
        base = self.state.connectors.get(connector_id) or self.state.connector(0)
        connector = replace(
            base,
            id=connector_id,
            name=name,
            is_sandbox=False,
            mfa="two_step" if has_mfa else "none",
            updated_at=now(),
        )
        self.state.connectors[connector_id] = connector
        self._connectors_added.add(connector_id)
        return _Connector(connector)

    def set_connector_health(self, connector_id: int, status: str) -> None:
        connector = self.state.connector(connector_id)
        connector.health = status  # type: ignore[assignment]
        connector.updated_at = now()

    def add_item(
        self,
        client_user_id: str,
        connector_id: int = 201,
        *,
        status: str = "UPDATED",
        execution_status: str = "SUCCESS",
        parameter: Json | None = None,
        error_code: str | None = None,
    ) -> Json:
        if connector_id not in self._connectors_added:
            self.add_connector(connector_id)
        created = now()
        item = Item(
            id=str(uuid.uuid4()),
            connector=self.state.connectors[connector_id],
            user="user-ok",
            password="password-ok",
            status=status,  # type: ignore[arg-type]
            execution_status=execution_status,
            created_at=created,
            updated_at=created,
            client_user_id=client_user_id,
            error={"code": error_code, "message": error_code.lower()} if error_code else None,
            parameter=parameter,
            last_updated_at=created if status == "UPDATED" else None,
            auto_sync=False,
            connected_once=True,
        )
        self.state.items[item.id] = item
        return item.as_json()

    def add_mfa_item(self, client_user_id: str, connector_id: int = 202) -> Json:
        """An item waiting for the user's MFA token, as after a 2-step MFA log-in."""
        if connector_id not in self._connectors_added:
            self.add_connector(connector_id, "Pluggy Bank MFA", has_mfa=True)
        return self.add_item(
            client_user_id,
            connector_id,
            status="WAITING_USER_INPUT",
            execution_status="WAITING_USER_INPUT",
            parameter={
                "name": "token",
                "label": "Token",
                "type": "number",
                "placeholder": "123456",
                "validationMessage": "Token inválido",
                "mfa": True,
                "expiresAt": iso(now() + timedelta(minutes=2)),
            },
        )

    def set_item(self, item_id: str, **fields: Any) -> Json:
        """Change the item as a new Pluggy execution would (and move its updatedAt on)."""
        item = self.state.items[item_id]
        for name, value in fields.items():
            if name in _ITEM_TIMES:
                setattr(item, _ITEM_TIMES[name], _parse(value))
            else:
                setattr(item, _ITEM_FIELDS[name], value)
        item.updated_at = _later_than(item.updated_at)
        return item.as_json()

    def remove_item(self, item_id: str) -> None:
        """The item is deleted at Pluggy with its accounts, transactions and consents."""
        self.state.forget_item(item_id)

    def time_out_mfa(self, item_id: str) -> None:
        self.set_item(
            item_id,
            status="LOGIN_ERROR",
            executionStatus="USER_INPUT_TIMEOUT",
            error={"code": "USER_INPUT_TIMEOUT", "message": "user input timeout"},
            parameter=None,
        )

    def add_account(
        self,
        item_id: str,
        *,
        account_type: str = "BANK",
        subtype: str = "CHECKING_ACCOUNT",
        balance: str = "1000.50",
        name: str = "Conta Corrente",
    ) -> Json:
        item = self.state.items[item_id]
        holder = holder_of(item)
        created = now()
        account = Account(
            id=str(uuid.uuid4()),
            item_id=item_id,
            type=account_type,  # type: ignore[arg-type]
            subtype=subtype,  # type: ignore[arg-type]
            number="0001/12345-0",
            name=name,
            marketing_name=name,
            owner="Empresa Exemplo LTDA",
            tax_number="12.345.678/0001-90",
            created_at=created,
            updated_at=created,
            balance_cents=_cents(balance),
        )
        self.state.accounts[account.id] = account
        self.state.add_ledger(Ledger(account.id, _KINDS[subtype], holder, account.balance_cents))
        return account.as_json()

    def set_balance(self, account_id: str, balance: str) -> None:
        account = self.state.accounts[account_id]
        account.balance_cents = _cents(balance)
        account.updated_at = _later_than(account.updated_at)

    def add_transactions(
        self,
        account_id: str,
        count: int,
        *,
        description: str = "PIX ENVIADO Fornecedor",
        amount: str = "12.34",
        transaction_type: str = "DEBIT",
        category: tuple[str, str] | None = ("Transfers", "05000000"),
        merchant: str | None = None,
        when: datetime | None = None,
        created_at: datetime | None = None,
    ) -> list[Json]:
        """`count` new transactions, created now (or at `created_at`), one hour apart."""
        ledger = self.state.ledgers[account_id]
        created = created_at or now()
        first_day = when or datetime(2026, 10, 1, 12, tzinfo=UTC)
        signed = Decimal(amount) if transaction_type == "CREDIT" else -Decimal(amount)
        numbers = ledger.add_batch(count, created, first_day)
        for position, index in enumerate(numbers):
            ledger.update(
                index,
                created,
                {
                    "date": iso(first_day + timedelta(hours=position)),
                    "description": description if count == 1 else f"{description} {position}",
                    "descriptionRaw": None,
                    "currencyCode": "BRL",
                    "amount": float(signed),
                    "amountInAccountCurrency": None,
                    "balance": None,
                    "category": category[0] if category else None,
                    "categoryId": category[1] if category else None,
                    "type": transaction_type,
                    "status": "POSTED",
                    "providerCode": None,
                    "merchant": {"name": merchant, "businessName": merchant} if merchant else None,
                    "paymentData": None,
                    "createdAt": iso(created),
                },
            )
        return [_Transaction(ledger, index) for index in numbers]

    def update_transaction(self, account_id: str, transaction_id: str, **fields: Any) -> Json:
        ledger = self.state.ledgers[account_id]
        index = ledger.index_of(transaction_id)
        if index is None:
            raise KeyError(transaction_id)
        previous = _parse(ledger.transaction(index)["updatedAt"])
        ledger.update(index, _later_than(previous), fields)
        return ledger.transaction(index)

    def delete_transaction(self, account_id: str, transaction_id: str) -> None:
        ledger = self.state.ledgers[account_id]
        index = ledger.index_of(transaction_id)
        if index is not None:
            ledger.delete(index)

    def set_payment_request_status(self, request_id: str, status: str) -> None:
        request = self.state.payments.requests[request_id]
        request.status = status
        request.updated_at = _later_than(request.updated_at)

    def add_consent(
        self, item_id: str, *, expires_at: datetime | None = None, revoked: bool = False
    ) -> Json:
        consent = Consent(
            id=str(uuid.uuid4()),
            item_id=item_id,
            products=["ACCOUNTS", "TRANSACTIONS"],
            created_at=now() - timedelta(days=30),
            expires_at=expires_at,
            revoked_at=now() if revoked else None,
        )
        self.state.consents[consent.id] = consent
        return consent.as_json()
