"""Stripe for billing's tests: the provider sandbox's Stripe in process, reached at
STRIPE_API_BASE through respx.

The sandbox answers (its objects, its idempotency keys, its refusals); this thin wrapper records
every request so tests can check what billing asked for, lets a test make Stripe fail or go
away for a while, and runs probes while a call waits for its answer, as if Stripe were slow:
they look at the database meanwhile, or hold calls until several are waiting together.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from urllib.parse import parse_qsl

import httpx
import respx
from fastapi import FastAPI

from provider_sandbox.stripe.state import StripeObject, StripeState

# Stripe's test cards: one that pays, one always declined.
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"

# Run with each call's method and path before it is answered.
Probe = Callable[[str, str], Awaitable[None]]


class SandboxObjects(Mapping[str, StripeObject]):
    """The sandbox's Stripe objects of one type, by id; the objects themselves, not copies."""

    def __init__(self, state: StripeState, object_name: str) -> None:
        self._state = state
        self._object_name = object_name

    def __getitem__(self, object_id: str) -> StripeObject:
        return self._state.get(object_id, self._object_name)

    def __iter__(self) -> Iterator[str]:
        return (obj["id"] for obj in reversed(self._state.of_type(self._object_name)))

    def __len__(self) -> int:
        return len(self._state.of_type(self._object_name))


class SandboxStripe:
    """The sandbox's Stripe, its state in reach: `subscriptions`, `checkout_sessions`, `invoices`,
    `portal_sessions`, `products`, `prices`, `webhook_endpoints` and `refunds` are what Stripe
    holds; what only a customer, a bank or time does at Stripe goes through the sandbox's control
    API (`control`, `complete_checkout`)."""

    def __init__(self, router: respx.Router, sandbox: FastAPI) -> None:
        self.router = router
        self._sandbox = httpx.ASGITransport(app=sandbox)
        self._state: StripeState = sandbox.state.stripe
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.subscriptions = SandboxObjects(self._state, "subscription")
        self.checkout_sessions = SandboxObjects(self._state, "checkout.session")
        self.invoices = SandboxObjects(self._state, "invoice")
        self.portal_sessions = SandboxObjects(self._state, "billing_portal.session")
        self.payment_methods = SandboxObjects(self._state, "payment_method")
        self.disputes = SandboxObjects(self._state, "dispute")
        self.files = SandboxObjects(self._state, "file")
        self.products = SandboxObjects(self._state, "product")
        self.prices = SandboxObjects(self._state, "price")
        self.webhook_endpoints = SandboxObjects(self._state, "webhook_endpoint")
        # Lookup keys Stripe has no price for (the sandbox seeds every plan's).
        self.missing_lookup_keys: set[str] = set()
        self._failures: dict[tuple[str, str], int] = {}
        self._failure_status = 500
        self._unreachable: set[tuple[str, str]] = set()
        self._broken: dict[tuple[str, str], httpx.Response | httpx.HTTPError] = {}
        self._probes: list[Probe] = []
        router.route().mock(side_effect=self._respond)

    @property
    def refunds(self) -> list[StripeObject]:
        """The refunds Stripe made, oldest first (an idempotent replay makes none)."""
        return self._state.of_type("refund")[::-1]

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

    def send_webhooks_to(self, url: str) -> None:
        """The account's webhook endpoints point at `url` (not the gateway's, as by default)."""
        for endpoint in self._state.of_type("webhook_endpoint"):
            endpoint["url"] = url

    async def control(self, path: str, body: dict[str, object]) -> StripeObject:
        """Call the sandbox's Stripe control API (`/_sandbox/stripe/<path>`): what only a
        customer, a bank or time does at Stripe. Its answer, which must be a success."""
        async with httpx.AsyncClient(transport=self._sandbox, base_url="http://sandbox") as sandbox:
            answer = await sandbox.post(f"/_sandbox/stripe/{path}", json=body)
        assert answer.is_success, answer.text
        result: StripeObject = answer.json()
        return result

    async def complete_checkout(self, session_id: str, card_number: str = CARD_OK) -> StripeObject:
        """The customer pays a checkout session on Stripe's page: Stripe makes the subscription,
        its first invoice and payment (their webhooks go nowhere). The completed session."""
        return await self.control(f"checkout/{session_id}/pay", {"card_number": card_number})

    async def fail_next_renewal(self, subscription_id: str) -> None:
        """The subscription's card is declined from now on and its next renewal comes: Stripe
        leaves it past_due with an open invoice."""
        path = f"subscriptions/{subscription_id}/card"
        await self.control(path, {"card_number": CARD_DECLINED})
        await self.control("advance", {"days": 31})

    def charge_of(self, invoice_id: str) -> StripeObject:
        """The charge that paid an invoice."""
        [payment] = self.invoices[invoice_id]["payments"]["data"]
        intent = self._state.get(payment["payment"]["payment_intent"], "payment_intent")
        return self._state.get(intent["latest_charge"], "charge")

    async def _respond(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        # A file upload's multipart body is not form-encoded: its parameters are not recorded.
        params = dict(
            parse_qsl(request.content.decode(errors="replace") or request.url.query.decode())
        )
        self.requests.append((method, path, params))
        for probe in self._probes:
            await probe(method, path)
        if (method, path) in self._unreachable:
            raise httpx.ConnectError("Stripe unreachable", request=request)
        broken = self._broken.get((method, path))
        if isinstance(broken, httpx.HTTPError):
            raise broken
        if broken is not None:
            return broken
        remaining = self._failures.get((method, path), 0)
        if remaining:
            self._failures[(method, path)] = remaining - 1
            # As the sandbox's own faults: answered before Stripe runs the call, so its
            # idempotency key keeps no answer and a retry with it is served afresh.
            return httpx.Response(
                self._failure_status,
                json={"error": {"type": "api_error", "message": "scripted failure"}},
            )
        self._forget_missing_prices()
        answer = await self._sandbox.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content)

    def _forget_missing_prices(self) -> None:
        for price in self._state.of_type("price"):
            if price.get("lookup_key") in self.missing_lookup_keys:
                del self._state.objects[price["id"]]


class Gathering:
    """A probe that holds each call of `method path` until `expected` of them wait together, to
    show that callers do not wait on one another; `limit_seconds` only ends a failing test."""

    def __init__(self, method: str, path: str, expected: int, limit_seconds: float = 10) -> None:
        self.call = (method, path)
        self.expected = expected
        self.limit_seconds = limit_seconds
        self.arrived = 0
        self._all_here = asyncio.Event()

    async def __call__(self, method: str, path: str) -> None:
        if (method, path) != self.call:
            return
        self.arrived += 1
        if self.arrived >= self.expected:
            self._all_here.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.limit_seconds):
                await self._all_here.wait()
