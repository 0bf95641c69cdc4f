"""Stripe's HTTP API faked at the boundary (respx): the few endpoints billing calls. Only the test
modules whose tests need what the provider sandbox (`stripe_sandbox.py`, every other module's
Stripe) does not do yet still use it; being retired in favour of the sandbox (issue #12).

It answers with Stripe-shaped JSON, honours idempotency keys like Stripe (same key, same answer),
and records every request so tests can check what billing asked for. Probes run while a call
waits for its answer, as if Stripe were slow: they look at the database meanwhile, or hold calls
until several are waiting together.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx

from . import stripe_objects
from .stripe_sandbox import Probe

JsonHandler = Callable[[httpx.Request, dict[str, str]], dict[str, Any]]


class StripeRefusal(Exception):
    """Stripe's 400 invalid_request_error for a call its object's state does not allow."""


class FakeStripe:
    def __init__(self, router: respx.Router) -> None:
        self.router = router
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        # The refunds Stripe made (an idempotent replay makes none).
        self.refunds: list[dict[str, Any]] = []
        self.missing_lookup_keys: set[str] = set()
        self.webhook_urls: list[str] = []
        self._ids = itertools.count(1)
        self._idempotent_answers: dict[str, httpx.Response] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self._unreachable: set[tuple[str, str]] = set()
        self._broken: dict[tuple[str, str], httpx.Response | httpx.HTTPError] = {}
        self._probes: list[Probe] = []
        self._route("POST", r"/v1/customers", self._create_customer)
        self._route("GET", r"/v1/prices", self._list_prices)
        self._route("POST", r"/v1/checkout/sessions", self._create_checkout_session)
        self._route("GET", r"/v1/checkout/sessions/(?P<id>[^/]+)", self._retrieve_checkout_session)
        self._route(
            "POST", r"/v1/checkout/sessions/(?P<id>[^/]+)/expire", self._expire_checkout_session
        )
        self._route("GET", r"/v1/invoices/(?P<id>[^/]+)", self._retrieve_invoice)
        self._route("GET", r"/v1/subscriptions/(?P<id>[^/]+)", self._retrieve_subscription)
        self._route("POST", r"/v1/subscriptions/(?P<id>[^/]+)", self._update_subscription)
        self._route("DELETE", r"/v1/subscriptions/(?P<id>[^/]+)", self._cancel_subscription)
        self._route("POST", r"/v1/billing_portal/sessions", self._create_portal_session)
        self._route("POST", r"/v1/refunds", self._create_refund)
        self._route("GET", r"/v1/balance", self._balance)
        self._route("GET", r"/v1/webhook_endpoints", self._webhook_endpoints)

    def fail(self, method: str, path: str, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls of `method path` with a Stripe API error."""
        self._failures[(method, path)] = times
        self._failure_status = status

    def disconnect(self, method: str, path: str) -> None:
        """Make every call of `method path` fail to connect, as if Stripe were unreachable."""
        self._unreachable.add((method, path))

    def break_down(self, method: str, path: str, outcome: httpx.Response | httpx.HTTPError) -> None:
        """Answer every call of `method path` with `outcome` (or raise it) until `recover()`."""
        self._broken[(method, path)] = outcome

    def while_answering(self, probe: Probe) -> None:
        """Run `probe` during every later call, before Stripe answers it."""
        self._probes.append(probe)

    def recover(self) -> None:
        """Stripe works again: no more broken answers, failures or outages."""
        self._broken.clear()
        self._failures.clear()
        self._unreachable.clear()

    def calls(self, method: str, path: str) -> list[dict[str, str]]:
        """The form parameters of each call made to `method path`."""
        return [params for m, p, params in self.requests if m == method and p == path]

    def add_subscription(self, subscription: dict[str, Any]) -> None:
        """Make a subscription known, so billing can update or cancel it."""
        self.subscriptions[subscription["id"]] = subscription

    def add_invoice(self, invoice: dict[str, Any]) -> None:
        """Make an invoice known, so billing can read it."""
        self.invoices[invoice["id"]] = invoice

    def complete_checkout(self, session_id: str) -> None:
        """The customer pays a checkout session: Stripe no longer lets it be expired."""
        self.checkout_sessions[session_id].update(status="complete", payment_status="paid")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids)}"

    def _route(self, method: str, pattern: str, handler: JsonHandler) -> None:
        async def respond(request: httpx.Request, **path_params: str) -> httpx.Response:
            params = dict(parse_qsl(request.content.decode() or request.url.query.decode()))
            params.update(path_params)
            self.requests.append((method, request.url.path, params))
            for probe in self._probes:
                await probe(method, request.url.path)
            if (method, request.url.path) in self._unreachable:
                raise httpx.ConnectError("fake outage", request=request)
            broken = self._broken.get((method, request.url.path))
            if isinstance(broken, httpx.HTTPError):
                raise broken
            if broken is not None:
                return broken
            key = request.headers.get("Idempotency-Key")
            if key and key in self._idempotent_answers:
                return self._idempotent_answers[key]
            remaining = self._failures.get((method, request.url.path), 0)
            if remaining:
                self._failures[(method, request.url.path)] = remaining - 1
                return httpx.Response(
                    self._failure_status,
                    json={"error": {"type": "api_error", "message": "fake failure"}},
                )
            try:
                response = httpx.Response(200, json=handler(request, params))
            except StripeRefusal as refusal:
                response = httpx.Response(
                    400,
                    json={"error": {"type": "invalid_request_error", "message": str(refusal)}},
                )
            # Stripe keeps the answer of a keyed call, errors included, and replays it.
            if key and method in ("POST", "DELETE"):
                self._idempotent_answers[key] = response
            return response

        self.router.route(method=method, path__regex=rf"^{pattern}$").mock(side_effect=respond)

    def _create_customer(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        return stripe_objects.customer(
            self._new_id("cus"), email=params.get("email"), name=params.get("name")
        )

    def _list_prices(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        keys = [value for name, value in params.items() if name.startswith("lookup_keys")]
        prices = [stripe_objects.price(key) for key in keys if key not in self.missing_lookup_keys]
        return {"object": "list", "data": prices, "has_more": False, "url": "/v1/prices"}

    def _create_checkout_session(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        session_id = self._new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "customer": params.get("customer"),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "expires_at": int(time.time()) + 86_400,
            "metadata": {
                name.removeprefix("metadata[").removesuffix("]"): value
                for name, value in params.items()
                if name.startswith("metadata[")
            },
        }
        self.checkout_sessions[session_id] = session
        return session

    def _retrieve_checkout_session(
        self, _: httpx.Request, params: dict[str, str]
    ) -> dict[str, Any]:
        return self.checkout_sessions[params["id"]]

    def _expire_checkout_session(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        session = self.checkout_sessions[params["id"]]
        if session["status"] != "open":
            raise StripeRefusal(
                f'Only Checkout Sessions with a status in ["open"] can be expired; '
                f"this one is {session['status']}."
            )
        session.update(status="expired", url=None)
        return session

    def _retrieve_invoice(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        return self.invoices[params["id"]]

    def _retrieve_subscription(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        return self.subscriptions[params["id"]]

    def _update_subscription(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        subscription = self.subscriptions[params["id"]]
        if "cancel_at_period_end" in params:
            subscription["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        if "items[0][price]" in params:
            lookup_key = params["items[0][price]"].removeprefix("price_")
            item = subscription["items"]["data"][0]
            item["price"] = stripe_objects.price(lookup_key)
        for name, value in params.items():
            if name.startswith("metadata["):
                subscription["metadata"][name.removeprefix("metadata[").removesuffix("]")] = value
        return subscription

    def _cancel_subscription(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        subscription = self.subscriptions[params["id"]]
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise StripeRefusal(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        subscription["status"] = "canceled"
        subscription["canceled_at"] = int(time.time())
        return subscription

    def _create_portal_session(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        session_id = self._new_id("bps")
        return {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": params["customer"],
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.test/p/session/{session_id}",
        }

    def _create_refund(self, _: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "charge": params.get("charge"),
            "payment_intent": params.get("payment_intent"),
            "amount": int(params.get("amount", "7900")),
            "currency": "brl",
            "status": "succeeded",
            "reason": params.get("reason"),
        }
        self.refunds.append(refund)
        return refund

    def _balance(self, _: httpx.Request, __: dict[str, str]) -> dict[str, Any]:
        return {"object": "balance", "livemode": False, "available": [], "pending": []}

    def _webhook_endpoints(self, _: httpx.Request, __: dict[str, str]) -> dict[str, Any]:
        endpoints = [
            {"id": f"we_{index}", "object": "webhook_endpoint", "url": url, "status": "enabled"}
            for index, url in enumerate(self.webhook_urls)
        ]
        return {"object": "list", "data": endpoints, "has_more": False}
