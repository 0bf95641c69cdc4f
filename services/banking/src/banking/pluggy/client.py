"""Pluggy's endpoints and their answers, over the shared `PluggyConnection`.

The connection owns authentication (API key from `POST /auth`, renewed before expiry or when
refused) and the provider client's retries, breaker and rate limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from banking.config import BankingSettings
from banking.pluggy import payloads
from finhub_pluggy.connection import (
    DEFAULT_BREAKER,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT_SECONDS,
    PROVIDER,
    PluggyConnection,
)
from finhub_shared.errors import ProviderError
from finhub_shared.provider_client import (
    CircuitBreakerPolicy,
    RetryPolicy,
    raise_for_provider_status,
)

# `GET /v2/transactions` accepts at most this many ids at once.
MAX_IDS_PER_REQUEST = 500


ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)

_CATEGORIES = TypeAdapter(list[payloads.Category])


def api_retry(settings: BankingSettings) -> RetryPolicy:
    """The API's retries: it answers a person, so a short wait, then a clear 503, rather than a
    minute's hang (Pluggy's 429 always says Retry-After: 60)."""
    return RetryPolicy(
        max_attempts=settings.pluggy_api_attempts,
        backoff_initial=settings.pluggy_retry_first_wait_seconds,
        backoff_max=settings.pluggy_api_max_wait_seconds,
        max_retry_after=settings.pluggy_api_max_wait_seconds,
    )


def worker_retry(settings: BankingSettings) -> RetryPolicy:
    """The worker's retries (jobs, handlers, the command line): it may wait as Pluggy asks."""
    return RetryPolicy(
        max_attempts=settings.pluggy_worker_attempts,
        backoff_initial=settings.pluggy_retry_first_wait_seconds,
        backoff_max=settings.pluggy_worker_max_wait_seconds,
        max_retry_after=settings.pluggy_worker_max_wait_seconds,
    )


def client_for(
    settings: BankingSettings,
    retry: RetryPolicy,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PluggyClient:
    """The process's Pluggy client, as the settings say: where, who, how long to wait."""
    return PluggyClient(
        settings.pluggy_api_url,
        settings.pluggy_client_id,
        settings.pluggy_client_secret,
        retry=retry,
        timeout=settings.pluggy_timeout_seconds,
        transport=transport,
    )


class PluggyClient:
    """One process's connection to Pluggy; open it once (lifespan or worker), close it on exit."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        breaker: CircuitBreakerPolicy = DEFAULT_BREAKER,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connection = PluggyConnection(
            base_url,
            client_id,
            client_secret,
            retry=retry,
            breaker=breaker,
            timeout=timeout,
            transport=transport,
            clock=clock,
        )

    async def aclose(self) -> None:
        """Close the connections."""
        await self._connection.aclose()

    # --- connections -------------------------------------------------------------------------

    async def create_connect_token(self, client_user_id: str, item_id: str | None = None) -> str:
        """A connect token for the widget; with `item_id`, to update that item (reconnect).

        No `webhookUrl`: our webhook is registered once for the whole application, with the
        secret header the gateway checks (Pluggy sends no headers to a `webhookUrl`).
        """
        body: dict[str, Any] = {"options": {"clientUserId": client_user_id}}
        if item_id is not None:
            body["itemId"] = item_id
        # Repeating it only mints another token, so it is safe to retry.
        response = await self._connection.request(
            "POST", "/connect_token", json=body, repeatable=True
        )
        return _parse(response, payloads.ConnectTokenResponse).access_token

    async def get_item(self, item_id: str) -> payloads.Item | None:
        """The item as Pluggy has it now, or None when Pluggy says it has no such item."""
        response = await self._connection.request("GET", f"/items/{_segment(item_id)}")
        if _is_gone(response, "ITEM_NOT_FOUND"):
            return None
        return _parse(response, payloads.Item)

    async def update_item(self, item_id: str) -> payloads.Item | None:
        """Start a new update of the item (an empty `PATCH`); the item as it starts, or None when
        Pluggy says it has no such item. Not repeated once sent: a repeat would start another."""
        response = await self._connection.request("PATCH", f"/items/{_segment(item_id)}", json={})
        if _is_gone(response, "ITEM_NOT_FOUND"):
            return None
        return _parse(response, payloads.Item)

    async def delete_item(self, item_id: str) -> None:
        """Delete the item and its data at Pluggy (revokes its consent); gone already is fine."""
        response = await self._connection.request("DELETE", f"/items/{_segment(item_id)}")
        if not _is_not_found(response):
            raise_for_provider_status(response, provider=PROVIDER)

    async def send_mfa(self, item_id: str, parameters: Mapping[str, str]) -> payloads.Item | None:
        """Answer the item's pending MFA prompt; None when Pluggy does not know the item."""
        response = await self._connection.request(
            "POST", f"/items/{_segment(item_id)}/mfa", json=dict(parameters)
        )
        if _is_not_found(response):
            return None
        return _parse(response, payloads.Item)

    async def get_connector(self, connector_id: int) -> payloads.Connector | None:
        """The connector with its current health, or None when Pluggy does not know it."""
        response = await self._connection.request(
            "GET", f"/connectors/{int(connector_id)}", params={"healthDetails": "true"}
        )
        if _is_not_found(response):
            return None
        return _parse(response, payloads.Connector)

    async def list_connectors(self, *, include_sandbox: bool) -> list[payloads.Connector]:
        """Every Brazilian connector with its current health."""
        params = {
            "countries": "BR",
            "healthDetails": "true",
            "sandbox": "true" if include_sandbox else "false",
        }
        return await self._every_page("/connectors", params, payloads.Page[payloads.Connector])

    async def list_consents(self, item_id: str) -> list[payloads.Consent]:
        """The Open Finance consents given for the item (empty for other connectors)."""
        response = await self._connection.request("GET", "/consents", params={"itemId": item_id})
        return _parse(response, payloads.Page[payloads.Consent]).results

    # --- accounts and transactions -----------------------------------------------------------

    async def list_accounts(self, item_id: str) -> list[payloads.Account]:
        """Every account of the item."""
        return await self._every_page(
            "/accounts", {"itemId": item_id}, payloads.Page[payloads.Account]
        )

    async def get_account(self, account_id: str) -> payloads.Account | None:
        """The account with its current balance, or None when Pluggy says it has no such account."""
        response = await self._connection.request("GET", f"/accounts/{_segment(account_id)}")
        if _is_gone(response, "ACCOUNT_NOT_FOUND"):
            return None
        return _parse(response, payloads.Account)

    async def transaction_pages(
        self, account_id: str, created_at_from: datetime | None = None
    ) -> AsyncGenerator[payloads.TransactionBatch, None]:
        """The account's transactions page by page, following the cursor to its end.

        Pages are yielded one at a time, so memory stays flat however long the history is.
        """
        params = {"accountId": account_id}
        if created_at_from is not None:
            params["createdAtFrom"] = _pluggy_timestamp(created_at_from)
        async for page in self._cursor_pages(params):
            yield page

    async def transactions_by_ids(
        self, account_id: str, transaction_ids: Sequence[str]
    ) -> AsyncGenerator[payloads.TransactionBatch, None]:
        """The current state of these transactions, in pages (missing ids are simply absent)."""
        for start in range(0, len(transaction_ids), MAX_IDS_PER_REQUEST):
            chunk = transaction_ids[start : start + MAX_IDS_PER_REQUEST]
            async for page in self._cursor_pages({"accountId": account_id, "ids": ",".join(chunk)}):
                yield page

    async def existing_transaction_ids(
        self, account_id: str, transaction_ids: Sequence[str]
    ) -> set[str]:
        """Which of these transactions Pluggy still has. Only ids are read, so a transaction
        Pluggy cannot describe in full still counts as there."""
        existing: set[str] = set()
        for start in range(0, len(transaction_ids), MAX_IDS_PER_REQUEST):
            chunk = transaction_ids[start : start + MAX_IDS_PER_REQUEST]
            params = {"accountId": account_id, "ids": ",".join(chunk)}
            while True:
                response = await self._connection.request("GET", "/v2/transactions", params=params)
                page = _id_page(response)
                existing.update(result.id for result in page.results)
                if not page.next:
                    break
                params = _next_page_params(page.next)
        return existing

    async def _every_page(
        self, path: str, params: Mapping[str, str], page_model: type[payloads.Page[ResultT]]
    ) -> list[ResultT]:
        """The results of a page-numbered listing (`{results, page, totalPages}`), all pages."""
        results: list[ResultT] = []
        query: dict[str, str | int] = dict(params)
        while True:
            response = await self._connection.request("GET", path, params=query)
            page = _parse(response, page_model)
            results.extend(page.results)
            if page.page >= page.total_pages:
                return results
            query = {**params, "page": page.page + 1}

    async def _cursor_pages(
        self, params: dict[str, str]
    ) -> AsyncGenerator[payloads.TransactionBatch, None]:
        """`GET /v2/transactions` with `params`, then each `next` page until there is none."""
        while True:
            response = await self._connection.request("GET", "/v2/transactions", params=params)
            batch, next_query = _transaction_page(response)
            if batch.transactions or batch.unreadable:
                yield batch
            if not next_query:
                return
            params = _next_page_params(next_query)

    async def list_categories(self) -> list[payloads.Category]:
        """Pluggy's category tree, flat (parents and children)."""
        response = await self._connection.request("GET", "/categories")
        raise_for_provider_status(response, provider=PROVIDER)
        try:
            body = response.json()
            # Documented as a bare array; the live API answers a page object.
            results = body["results"] if isinstance(body, dict) else body
            return _CATEGORIES.validate_python(results)
        except (ValueError, KeyError):  # not JSON, no results, or not categories
            raise ProviderError(
                f"{PROVIDER} answered categories of another shape", provider=PROVIDER
            ) from None

    # --- payments ----------------------------------------------------------------------------

    async def create_payment_recipient(self, body: Mapping[str, Any]) -> payloads.PaymentRecipient:
        """A recipient from a PIX key (`{"pixKey"}`) or from bank details."""
        response = await self._connection.request("POST", "/payments/recipients", json=dict(body))
        return _parse(response, payloads.PaymentRecipient)

    async def create_payment_request(self, body: Mapping[str, Any]) -> payloads.PaymentRequest:
        """A payment request; the payer authorises it at its `paymentUrl`."""
        response = await self._connection.request("POST", "/payments/requests", json=dict(body))
        return _parse(response, payloads.PaymentRequest)

    async def get_payment_request(self, request_id: str) -> payloads.PaymentRequest | None:
        """The payment request now, or None when Pluggy does not know it."""
        response = await self._connection.request(
            "GET", f"/payments/requests/{_segment(request_id)}"
        )
        if _is_not_found(response):
            return None
        return _parse(response, payloads.PaymentRequest)

    async def get_payment_intent(self, intent_id: str) -> payloads.PaymentIntent | None:
        """The payment intent now, or None when Pluggy does not know it."""
        response = await self._connection.request("GET", f"/payments/intents/{_segment(intent_id)}")
        if _is_not_found(response):
            return None
        return _parse(response, payloads.PaymentIntent)

    async def list_payment_schedules(self, request_id: str) -> list[payloads.ScheduledPayment]:
        """Every date of a scheduled payment request."""
        path = f"/payments/requests/{_segment(request_id)}/schedules"
        return await self._every_page(path, {}, payloads.Page[payloads.ScheduledPayment])

    async def cancel_payment_schedule(self, request_id: str, schedule_id: str) -> None:
        """Cancel one date of a scheduled payment request."""
        response = await self._connection.request(
            "POST",
            f"/payments/requests/{_segment(request_id)}/schedules/{_segment(schedule_id)}/cancel",
        )
        raise_for_provider_status(response, provider=PROVIDER)

    async def cancel_payment_schedules(self, request_id: str) -> None:
        """Cancel every date of a scheduled payment request not paid yet."""
        response = await self._connection.request(
            "POST", f"/payments/requests/{_segment(request_id)}/schedules/cancel"
        )
        raise_for_provider_status(response, provider=PROVIDER)

    async def create_automatic_pix(self, body: Mapping[str, Any]) -> payloads.PaymentRequest:
        """An automatic PIX mandate (a payment request the payer authorises once)."""
        response = await self._connection.request(
            "POST", "/payments/requests/automatic-pix", json=dict(body)
        )
        return _parse(response, payloads.PaymentRequest)

    async def schedule_automatic_pix_payment(
        self, request_id: str, body: Mapping[str, Any]
    ) -> payloads.AutomaticPixPayment:
        """Schedule one cycle's payment under an authorised mandate."""
        response = await self._connection.request(
            "POST",
            f"/payments/requests/{_segment(request_id)}/automatic-pix/schedule",
            json=dict(body),
        )
        return _parse(response, payloads.AutomaticPixPayment)

    async def get_automatic_pix_payment(
        self, request_id: str, payment_id: str
    ) -> payloads.AutomaticPixPayment | None:
        """One scheduled automatic PIX payment now, or None when Pluggy does not know it."""
        response = await self._connection.request(
            "GET",
            f"/payments/requests/{_segment(request_id)}/automatic-pix/schedules/"
            f"{_segment(payment_id)}",
        )
        if _is_not_found(response):
            return None
        return _parse(response, payloads.AutomaticPixPayment)

    async def cancel_automatic_pix_payment(self, request_id: str, payment_id: str) -> None:
        """Cancel one scheduled automatic PIX payment."""
        response = await self._connection.request(
            "POST",
            f"/payments/requests/{_segment(request_id)}/automatic-pix/schedules/"
            f"{_segment(payment_id)}/cancel",
        )
        raise_for_provider_status(response, provider=PROVIDER)

    async def revoke_automatic_pix(self, request_id: str) -> None:
        """Revoke the whole mandate: no further payment is taken under it."""
        response = await self._connection.request(
            "POST", f"/payments/requests/{_segment(request_id)}/automatic-pix/cancel"
        )
        raise_for_provider_status(response, provider=PROVIDER)


def _parse(response: httpx.Response, model: type[ModelT]) -> ModelT:
    """The answer as `model`; ProviderError for an error status or a body of another shape."""
    raise_for_provider_status(response, provider=PROVIDER)
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        # The body may hold personal data: name the shape we expected, never the content.
        raise ProviderError(
            f"{PROVIDER} answered a body that is not a {model.__name__}", provider=PROVIDER
        ) from None


def _transaction_page(response: httpx.Response) -> tuple[payloads.TransactionBatch, str | None]:
    """The page's transactions and the query of the next page.

    Read whole when it can be (the fast way); otherwise transaction by transaction, so that one
    Pluggy cannot describe to us (a lone surrogate, a missing field) leaves only itself out.
    """
    raise_for_provider_status(response, provider=PROVIDER)
    try:
        page = payloads.TransactionPage.model_validate_json(response.content)
    except ValidationError:
        loose = _loose_page(response)
        return _readable(loose.results), loose.next
    return payloads.TransactionBatch(page.results), page.next


def _loose_page(response: httpx.Response) -> payloads.LooseTransactionPage:
    """The page as plain JSON objects (Python's parser keeps what pydantic's refuses)."""
    try:
        return payloads.LooseTransactionPage.model_validate(json.loads(response.content))
    except (ValueError, ValidationError):
        raise ProviderError(
            f"{PROVIDER} answered a body that is not a TransactionPage", provider=PROVIDER
        ) from None


def _id_page(response: httpx.Response) -> payloads.TransactionIdPage:
    """A `/v2/transactions` page read for its ids alone (Python's parser, as in `_loose_page`)."""
    raise_for_provider_status(response, provider=PROVIDER)
    try:
        return payloads.TransactionIdPage.model_validate(json.loads(response.content))
    except (ValueError, ValidationError):
        raise ProviderError(
            f"{PROVIDER} answered a body that is not a TransactionPage", provider=PROVIDER
        ) from None


def _next_page_params(next_query: str) -> dict[str, str]:
    """`next` is the whole query of the next page (account and cursor included)."""
    return dict(parse_qsl(urlsplit(next_query).query or next_query.lstrip("?")))


def _readable(results: list[dict[str, Any]]) -> payloads.TransactionBatch:
    transactions: list[payloads.Transaction] = []
    unreadable: list[str] = []
    for result in results:
        try:
            transactions.append(payloads.Transaction.model_validate(result))
        except ValidationError as invalid:
            # Where it is invalid, never the value (it may be personal data).
            first = invalid.errors(include_url=False, include_input=False)[0]
            unreadable.append(f"unreadable_{first['loc'][0] if first['loc'] else 'transaction'}")
    return payloads.TransactionBatch(transactions, unreadable)


def _segment(identifier: str) -> str:
    """An id as one path segment: whatever it holds, it cannot reach another endpoint."""
    return quote(identifier, safe="")


def _is_not_found(response: httpx.Response) -> bool:
    return response.status_code == 404


def _is_gone(response: httpx.Response, code_description: str) -> bool:
    """Pluggy's own 404 for this resource: a 404 from anything in between (a proxy, a wrong
    path) says nothing of the resource, and the caller deletes data on this answer."""
    if not _is_not_found(response):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("codeDescription") == code_description


def _pluggy_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, the shape Pluggy documents."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
