"""A small in-memory Pluggy at the HTTP boundary, for `httpx.MockTransport`: what the test
modules still use whose tests need behaviour the provider sandbox (`pluggy_sandbox.py`, every
other module's Pluggy) does not have yet. Being retired in favour of the sandbox (issue #12).

It answers the endpoints banking calls with Pluggy's documented shapes (pluggy-oas3.json):
auth with expiring keys, connect tokens, items with MFA, connectors, accounts, cursor-paginated
`/v2/transactions`, categories, consents and payments. Tests change its state with the helper
methods, script failures with `fail_next`, and read `calls` to see what was asked.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from .pluggy_sandbox import MFA_TOKEN, error, now

Json = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass
class ScriptedFailure:
    method: str
    path_pattern: str
    responses: list[httpx.Response]
    # Matching requests let through before the responses start (fail_after).
    passes: int = 0
    # Answer the last response for ever once the others are used (fail_after).
    sticky: bool = False


class FakePluggy:
    """Pluggy's state for one test; call it with an `httpx.Request`."""

    def __init__(self, client_id: str, client_secret: str, *, page_size: int = 200) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.api_keys: set[str] = set()
        self.connectors: dict[int, Json] = {}
        self.items: dict[str, Json] = {}
        self.accounts: dict[str, Json] = {}
        self.transactions: dict[str, list[Json]] = {}
        self.consents: dict[str, list[Json]] = {}
        self.categories: list[Json] = [
            {"id": "01000000", "description": "Income", "descriptionTranslated": "Renda"},
            {"id": "05000000", "description": "Transfers", "descriptionTranslated": "Transf."},
            {
                "id": "11000000",
                "description": "Food and drinks",
                "descriptionTranslated": "Alimentação",
            },
            {
                "id": "11010000",
                "description": "Eating out",
                "descriptionTranslated": "Restaurantes",
                "parentId": "11000000",
                "parentDescription": "Food and drinks",
            },
            {"id": "19000000", "description": "Transportation", "descriptionTranslated": "Transp."},
        ]
        self.recipients: dict[str, Json] = {}
        self.payment_requests: dict[str, Json] = {}
        self.payment_intents: dict[str, Json] = {}
        self.automatic_pix_payments: dict[str, Json] = {}
        self.calls: list[tuple[str, str]] = []
        self.requests: list[httpx.Request] = []
        self.received: list[tuple[str, str, Json | None]] = []
        self._failures: list[ScriptedFailure] = []
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., httpx.Response]]] = [
            ("POST", re.compile(r"/auth"), self._auth),
            ("POST", re.compile(r"/connect_token"), self._connect_token),
            ("GET", re.compile(r"/items/(?P<item_id>[^/]+)"), self._get_item),
            ("DELETE", re.compile(r"/items/(?P<item_id>[^/]+)"), self._delete_item),
            ("POST", re.compile(r"/items/(?P<item_id>[^/]+)/mfa"), self._mfa),
            ("GET", re.compile(r"/connectors/(?P<connector_id>\d+)"), self._get_connector),
            ("GET", re.compile(r"/accounts"), self._list_accounts),
            ("GET", re.compile(r"/accounts/(?P<account_id>[^/]+)"), self._get_account),
            ("GET", re.compile(r"/v2/transactions"), self._list_transactions),
            ("GET", re.compile(r"/categories"), self._list_categories),
            ("GET", re.compile(r"/consents"), self._list_consents),
            ("POST", re.compile(r"/payments/recipients"), self._create_recipient),
            ("POST", re.compile(r"/payments/requests"), self._create_payment_request),
            (
                "POST",
                re.compile(r"/payments/requests/automatic-pix"),
                self._create_automatic_pix,
            ),
            ("GET", re.compile(r"/payments/requests/(?P<request_id>[^/]+)"), self._get_request),
            ("GET", re.compile(r"/payments/intents/(?P<intent_id>[^/]+)"), self._get_intent),
            (
                "POST",
                re.compile(r"/payments/requests/(?P<request_id>[^/]+)/automatic-pix/schedule"),
                self._schedule_automatic_pix,
            ),
            (
                "GET",
                re.compile(
                    r"/payments/requests/(?P<request_id>[^/]+)/automatic-pix/schedules/"
                    r"(?P<payment_id>[^/]+)"
                ),
                self._get_automatic_pix_payment,
            ),
            (
                "POST",
                re.compile(
                    r"/payments/requests/(?P<request_id>[^/]+)/automatic-pix/schedules/"
                    r"(?P<payment_id>[^/]+)/cancel"
                ),
                self._cancel_automatic_pix_payment,
            ),
            (
                "POST",
                re.compile(r"/payments/requests/(?P<request_id>[^/]+)/automatic-pix/cancel"),
                self._revoke_automatic_pix,
            ),
        ]

    # --- the transport -----------------------------------------------------------------------

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/pluggy")
        self.calls.append((request.method, path))
        self.requests.append(request)
        body = json.loads(request.content) if request.content else None
        self.received.append((request.method, path, body))
        scripted = self._scripted_failure(request.method, path)
        if scripted is not None:
            return scripted
        if path != "/auth" and request.headers.get("X-API-KEY") not in self.api_keys:
            # Pluggy's NotAuthenticatedResponse: a 403 without codeDescription.
            return httpx.Response(
                403, json={"code": 403, "message": "Missing or invalid authorization token"}
            )
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if method == request.method and match:
                return handler(request, body, **match.groupdict())
        return error(404, "NOT_FOUND", f"no route {request.method} {path}")

    def fail_next(self, method: str, path_pattern: str, *responses: httpx.Response) -> None:
        """Answer the next requests matching `method` and the path regex with these, in turn."""
        self._failures.append(ScriptedFailure(method, path_pattern, list(responses)))

    def fail_after(
        self, method: str, path_pattern: str, passes: int, response: httpx.Response
    ) -> None:
        """Let `passes` matching requests through, then answer `response` until `recover()`."""
        self._failures.append(
            ScriptedFailure(method, path_pattern, [response], passes=passes, sticky=True)
        )

    def recover(self) -> None:
        """Forget every scripted failure."""
        self._failures.clear()

    def calls_to(self, method: str, path_pattern: str) -> int:
        return sum(1 for m, path in self.calls if m == method and re.fullmatch(path_pattern, path))

    def revoke_api_keys(self) -> None:
        """Pluggy forgets every key it issued (as if they expired early)."""
        self.api_keys.clear()

    def _scripted_failure(self, method: str, path: str) -> httpx.Response | None:
        for failure in self._failures:
            if failure.method != method or not re.fullmatch(failure.path_pattern, path):
                continue
            if failure.passes > 0:
                failure.passes -= 1
                return None
            if failure.sticky:
                return failure.responses[0]
            response = failure.responses.pop(0)
            if not failure.responses:
                self._failures.remove(failure)
            return response
        return None

    # --- state helpers -----------------------------------------------------------------------

    def add_connector(
        self, connector_id: int = 201, name: str = "Pluggy Bank", *, has_mfa: bool = False
    ) -> Json:
        connector = {
            "id": connector_id,
            "name": name,
            "institutionUrl": "https://pluggy.ai",
            "imageUrl": f"https://cdn.pluggy.ai/{connector_id}.svg",
            "primaryColor": "ef294b",
            "type": "PERSONAL_BANK",
            "country": "BR",
            "hasMFA": has_mfa,
            "isOpenFinance": False,
            "health": {"status": "ONLINE", "stage": None},
            "createdAt": iso(now()),
            "updatedAt": iso(now()),
        }
        self.connectors[connector_id] = connector
        return connector

    def set_connector_health(self, connector_id: int, status: str) -> None:
        self.connectors[connector_id]["health"] = {"status": status, "stage": None}
        self.connectors[connector_id]["updatedAt"] = iso(now())

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
        if connector_id not in self.connectors:
            self.add_connector(connector_id)
        created = now()
        item = {
            "id": str(uuid.uuid4()),
            "connector": self.connectors[connector_id],
            "status": status,
            "executionStatus": execution_status,
            "error": {"code": error_code, "message": error_code.lower()} if error_code else None,
            "parameter": parameter,
            "clientUserId": client_user_id,
            "createdAt": iso(created),
            "updatedAt": iso(created),
            "lastUpdatedAt": iso(created) if status == "UPDATED" else None,
            "consentExpiresAt": None,
        }
        self.items[item["id"]] = item
        return item

    def add_mfa_item(self, client_user_id: str, connector_id: int = 202) -> Json:
        """An item waiting for the user's MFA token, as after a 2-step MFA log-in."""
        if connector_id not in self.connectors:
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
        item = self.items[item_id]
        item.update(fields)
        item["updatedAt"] = iso(_later_than(item["updatedAt"]))
        return item

    def remove_item(self, item_id: str) -> None:
        """The item is deleted at Pluggy with its accounts, transactions and consents."""
        del self.items[item_id]
        for account_id in [a["id"] for a in self.accounts.values() if a["itemId"] == item_id]:
            del self.accounts[account_id]
            del self.transactions[account_id]
        self.consents.pop(item_id, None)

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
        account = {
            "id": str(uuid.uuid4()),
            "itemId": item_id,
            "type": account_type,
            "subtype": subtype,
            "number": "0001/12345-0",
            "name": name,
            "marketingName": None,
            "balance": float(Decimal(balance)),
            "currencyCode": "BRL",
            "owner": "Empresa Exemplo LTDA",
            "taxNumber": "12.345.678/0001-90",
            "createdAt": iso(now()),
            "updatedAt": iso(now()),
        }
        self.accounts[account["id"]] = account
        self.transactions.setdefault(account["id"], [])
        return account

    def set_balance(self, account_id: str, balance: str) -> None:
        account = self.accounts[account_id]
        account["balance"] = float(Decimal(balance))
        account["updatedAt"] = iso(_later_than(account["updatedAt"]))

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
        """`count` new transactions, created now (or at `created_at`), one day apart."""
        created = created_at or now()
        first_day = when or datetime(2026, 10, 1, 12, tzinfo=UTC)
        added = []
        for index in range(count):
            signed = Decimal(amount) if transaction_type == "CREDIT" else -Decimal(amount)
            transaction = {
                "id": str(uuid.uuid4()),
                "accountId": account_id,
                "date": iso(first_day + timedelta(hours=index)),
                "description": description if count == 1 else f"{description} {index}",
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
                "updatedAt": iso(created),
            }
            added.append(transaction)
        self.transactions[account_id].extend(added)
        return added

    def update_transaction(self, account_id: str, transaction_id: str, **fields: Any) -> Json:
        for transaction in self.transactions[account_id]:
            if transaction["id"] == transaction_id:
                transaction.update(fields)
                transaction["updatedAt"] = iso(_later_than(transaction["updatedAt"]))
                return transaction
        raise KeyError(transaction_id)

    def delete_transaction(self, account_id: str, transaction_id: str) -> None:
        self.transactions[account_id] = [
            t for t in self.transactions[account_id] if t["id"] != transaction_id
        ]

    def add_consent(
        self, item_id: str, *, expires_at: datetime | None = None, revoked: bool = False
    ) -> Json:
        consent = {
            "id": str(uuid.uuid4()),
            "itemId": item_id,
            "products": ["ACCOUNTS", "TRANSACTIONS"],
            "createdAt": iso(now() - timedelta(days=30)),
            "expiresAt": iso(expires_at) if expires_at else None,
            "revokedAt": iso(now()) if revoked else None,
        }
        self.consents.setdefault(item_id, []).append(consent)
        return consent

    def pay(self, request_id: str, *, intent_status: str = "PAYMENT_COMPLETED") -> Json:
        """The payer authorises the request at the bank: an intent, and the request completed."""
        intent = {
            "id": str(uuid.uuid4()),
            "status": intent_status,
            "paymentRequest": {"id": request_id},
            "consentUrl": "https://bank.example/consent",
            "paymentMethod": "PIS",
            "createdAt": iso(now()),
            "updatedAt": iso(now()),
        }
        self.payment_intents[intent["id"]] = intent
        request = self.payment_requests[request_id]
        request["status"] = "COMPLETED" if intent_status == "PAYMENT_COMPLETED" else "ERROR"
        request["updatedAt"] = iso(_later_than(request["updatedAt"]))
        return intent

    def set_payment_request_status(self, request_id: str, status: str) -> None:
        request = self.payment_requests[request_id]
        request["status"] = status
        request["updatedAt"] = iso(_later_than(request["updatedAt"]))

    def set_automatic_pix_payment_status(self, payment_id: str, status: str) -> None:
        self.automatic_pix_payments[payment_id]["status"] = status

    # --- routes ------------------------------------------------------------------------------

    def _auth(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        if body != {"clientId": self.client_id, "clientSecret": self.client_secret}:
            return error(401, "CLIENT_KEYS_UNAUTHORIZED", "Client id and secret are invalid")
        api_key = secrets.token_urlsafe(24)
        self.api_keys.add(api_key)
        return httpx.Response(200, json={"apiKey": api_key})

    def _connect_token(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        body = body or {}
        if body.get("itemId") and body["itemId"] not in self.items:
            return error(404, "ITEM_NOT_FOUND", "item not found")
        return httpx.Response(200, json={"accessToken": "ct_" + secrets.token_urlsafe(16)})

    def _get_item(self, request: httpx.Request, body: Json | None, item_id: str) -> httpx.Response:
        if item_id not in self.items:
            return error(404, "ITEM_NOT_FOUND", "item not found")
        return httpx.Response(200, json=self.items[item_id])

    def _delete_item(
        self, request: httpx.Request, body: Json | None, item_id: str
    ) -> httpx.Response:
        if self.items.pop(item_id, None) is None:
            return error(404, "ITEM_NOT_FOUND", "item not found")
        return httpx.Response(200, json={"count": 1})

    def _mfa(self, request: httpx.Request, body: Json | None, item_id: str) -> httpx.Response:
        item = self.items.get(item_id)
        if item is None:
            return error(404, "ITEM_NOT_FOUND", "item not found")
        if (body or {}).get("token") == MFA_TOKEN:
            self.set_item(
                item_id,
                status="UPDATED",
                executionStatus="SUCCESS",
                parameter=None,
                error=None,
                lastUpdatedAt=iso(now()),
            )
        else:
            self.set_item(
                item_id,
                status="LOGIN_ERROR",
                executionStatus="INVALID_CREDENTIALS_MFA",
                parameter=None,
                error={"code": "INVALID_CREDENTIALS_MFA", "message": "invalid token"},
            )
        return httpx.Response(200, json=item)

    def _get_connector(
        self, request: httpx.Request, body: Json | None, connector_id: str
    ) -> httpx.Response:
        connector = self.connectors.get(int(connector_id))
        if connector is None:
            return error(404, "CONNECTOR_NOT_FOUND", "connector not found")
        return httpx.Response(200, json=connector)

    def _list_accounts(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        item_id = request.url.params.get("itemId")
        results = [a for a in self.accounts.values() if a["itemId"] == item_id]
        return httpx.Response(200, json=_page(results))

    def _get_account(
        self, request: httpx.Request, body: Json | None, account_id: str
    ) -> httpx.Response:
        if account_id not in self.accounts:
            return error(404, "ACCOUNT_NOT_FOUND", "account not found")
        return httpx.Response(200, json=self.accounts[account_id])

    def _list_transactions(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        params = request.url.params
        account_id = params.get("accountId")
        if account_id not in self.accounts:
            return error(400, "INVALID_PARAMETER", "accountId must be a UUID of an account")
        selected = self.transactions[account_id]
        if "ids" in params:
            wanted = set(params["ids"].split(","))
            selected = [t for t in selected if t["id"] in wanted]
        if "createdAtFrom" in params:
            since = params["createdAtFrom"]
            selected = [t for t in selected if t["createdAt"] >= since]
        offset = int(base64.urlsafe_b64decode(params["after"]).decode()) if "after" in params else 0
        page = selected[offset : offset + self.page_size]
        next_query = None
        if offset + self.page_size < len(selected):
            cursor = base64.urlsafe_b64encode(str(offset + self.page_size).encode()).decode()
            kept = {k: v for k, v in params.items() if k != "after"}
            next_query = "?" + str(httpx.QueryParams({**kept, "after": cursor}))
        # ASCII escapes, as Pluggy's JSON may carry a lone surrogate ("\ud800") that UTF-8 cannot.
        body = json.dumps({"results": page, "next": next_query}).encode()
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    def _list_categories(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        return httpx.Response(200, json=_page(self.categories))

    def _list_consents(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        item_id = request.url.params.get("itemId", "")
        return httpx.Response(200, json=_page(self.consents.get(item_id, [])))

    def _create_recipient(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        body = body or {}
        if not body.get("pixKey") and not body.get("account"):
            return error(400, "INVALID_RECIPIENT", "pixKey or account is required")
        recipient = {
            "type": "BANK_ACCOUNT",
            "id": str(uuid.uuid4()),
            "name": body.get("name", "Fornecedor PIX"),
            "taxNumber": body.get("taxNumber", "12345678000190"),
            "pixKey": body.get("pixKey"),
            "isDefault": False,
            "createdAt": iso(now()),
            "updatedAt": iso(now()),
        }
        self.recipients[recipient["id"]] = recipient
        return httpx.Response(200, json=recipient)

    def _create_payment_request(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        body = body or {}
        if body.get("recipientId") not in self.recipients:
            return error(400, "RECIPIENT_NOT_FOUND", "recipient not found")
        return httpx.Response(200, json=self._new_request(body, amount=body["amount"]))

    def _create_automatic_pix(self, request: httpx.Request, body: Json | None) -> httpx.Response:
        body = body or {}
        if body.get("recipientId") not in self.recipients:
            return error(400, "RECIPIENT_NOT_FOUND", "recipient not found")
        return httpx.Response(200, json=self._new_request(body, amount=None))

    def _new_request(self, body: Json, amount: float | None) -> Json:
        payment_request = {
            "id": str(uuid.uuid4()),
            "amount": amount,
            "description": body.get("description"),
            "status": "CREATED",
            "clientPaymentId": body.get("clientPaymentId"),
            "createdAt": iso(now()),
            "updatedAt": iso(now()),
            "paymentUrl": "",
            "schedule": body.get("schedule"),
            "isSandbox": body.get("isSandbox", False),
        }
        payment_request["paymentUrl"] = f"https://pay.pluggy.ai/{payment_request['id']}"
        self.payment_requests[payment_request["id"]] = payment_request
        return payment_request

    def _get_request(
        self, request: httpx.Request, body: Json | None, request_id: str
    ) -> httpx.Response:
        if request_id not in self.payment_requests:
            return error(404, "PAYMENT_REQUEST_NOT_FOUND", "payment request not found")
        return httpx.Response(200, json=self.payment_requests[request_id])

    def _get_intent(
        self, request: httpx.Request, body: Json | None, intent_id: str
    ) -> httpx.Response:
        if intent_id not in self.payment_intents:
            return error(404, "PAYMENT_INTENT_NOT_FOUND", "Payment intent not found")
        return httpx.Response(200, json=self.payment_intents[intent_id])

    def _schedule_automatic_pix(
        self, request: httpx.Request, body: Json | None, request_id: str
    ) -> httpx.Response:
        body = body or {}
        mandate = self.payment_requests.get(request_id)
        if mandate is None:
            return error(404, "PAYMENT_REQUEST_NOT_FOUND", "payment request not found")
        if mandate["status"] != "AUTHORIZED":
            return error(400, "PAYMENT_REQUEST_NOT_AUTHORIZED", "mandate is not authorized")
        payment = {
            "id": str(uuid.uuid4()),
            "status": "SCHEDULED",
            "amount": body["amount"],
            "description": body.get("description"),
            "date": body["date"],
            "recipientId": "r",
            "isFirstPayment": False,
        }
        self.automatic_pix_payments[payment["id"]] = payment
        return httpx.Response(200, json=payment)

    def _get_automatic_pix_payment(
        self, request: httpx.Request, body: Json | None, request_id: str, payment_id: str
    ) -> httpx.Response:
        if payment_id not in self.automatic_pix_payments:
            return error(404, "AUTOMATIC_PIX_PAYMENT_NOT_FOUND", "payment not found")
        return httpx.Response(200, json=self.automatic_pix_payments[payment_id])

    def _cancel_automatic_pix_payment(
        self, request: httpx.Request, body: Json | None, request_id: str, payment_id: str
    ) -> httpx.Response:
        self.automatic_pix_payments[payment_id]["status"] = "CANCELED"
        return httpx.Response(204)

    def _revoke_automatic_pix(
        self, request: httpx.Request, body: Json | None, request_id: str
    ) -> httpx.Response:
        self.set_payment_request_status(request_id, "CANCELED")
        return httpx.Response(204)


def _page(results: list[Json]) -> Json:
    return {"page": 1, "total": len(results), "totalPages": 1, "results": results}


def _later_than(stamp: str) -> datetime:
    """A timestamp strictly after `stamp` (the clock may not have moved a millisecond yet)."""
    previous = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return max(now(), previous + timedelta(milliseconds=1))
