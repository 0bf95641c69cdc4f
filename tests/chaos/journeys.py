"""The seed's three journeys, walked through the public HTTP APIs as a client and a user would.

Each journey is an async function that returns True once the system shows its outcome, False
when its deadline passes first. A client retries what failed for want of the server (no answer,
5xx, 429), as any client of a flaky network does; a journey concludes only after the fault is
over (`Scenario.settled`), so an early success cannot hide what the fault did afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "Chaos-password-2026"
WORKING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
MFA_CONNECTOR = 5  # Pluggy Bank MFA 2-step: the item waits for the user's token
MFA_TOKEN = "123456"
RETRY_PAUSE_SECONDS = 0.5
POLL_SECONDS = 1.0
CALL_TIMEOUT_SECONDS = 15.0
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

Json = dict[str, Any]


@dataclass
class Scenario:
    """What the journeys of one row share with its faults."""

    billing: str
    banking: str
    sandbox: str
    stripe_api_key: str
    pluggy_client_id: str
    pluggy_client_secret: str
    deadline: float  # time.monotonic() after which a journey gives up
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    pluggy_items: list[str] = field(default_factory=list)
    # Fault work that goes on after the fault's begin (the runner awaits it before `settled`).
    background: list[asyncio.Task[None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What a fault could not do (the row cannot pass: it did not test what it names).
    missed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Account:
    """A signed-up user: the email and the headers its access token opens both APIs with."""

    email: str
    headers: dict[str, str]


class JourneyFailed(Exception):
    """A step answered what no retry can change (a 4xx it did not expect)."""


class Client:
    """HTTP as a patient client: every call retried until it gets a real answer or time is up."""

    def __init__(self, scenario: Scenario, http: httpx.AsyncClient) -> None:
        self.scenario = scenario
        self.http = http

    async def call(self, method: str, url: str, expect: int = 200, **options: Any) -> Any:
        """The JSON body of the first answer that is not a server-side failure."""
        while True:
            try:
                response = await self.http.request(method, url, **options)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code not in RETRIED_STATUSES:
                if response.status_code != expect:
                    raise JourneyFailed(f"{method} {url} → {response.status_code}: {response.text}")
                return response.json() if response.content else {}
            if time.monotonic() > self.scenario.deadline:
                raise JourneyFailed(f"{method} {url} never answered")
            await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def eventually(self, what: str, outcome: Callable[[], Awaitable[bool]]) -> bool:
        """Whether `outcome` holds once the fault is over, before the deadline."""
        while time.monotonic() < self.scenario.deadline:
            if self.scenario.settled.is_set() and await outcome():
                return True
            await asyncio.sleep(POLL_SECONDS)
        self.scenario.notes.append(f"gave up waiting for {what}")
        return False

    async def sign_up(self, label: str) -> Account:
        """A new company on trial, its first user logged in."""
        email = f"{label}+{uuid.uuid4().hex[:10]}@chaos.example.com"
        # The sign-up accepts the terms of use and the privacy policy in force.
        documents = await self.call("GET", f"{self.scenario.billing}/api/auth/legal-documents")
        account = {
            "email": email,
            "password": PASSWORD,
            "name": "Ana",
            "company_name": label,
            "accepted": documents,
        }
        try:
            registered = await self.call(
                "POST", f"{self.scenario.billing}/api/auth/register", 201, json=account
            )
        except JourneyFailed:
            # The first try may have been stored before its answer was lost: log in instead.
            registered = await self.call(
                "POST",
                f"{self.scenario.billing}/api/auth/login",
                json={"email": email, "password": PASSWORD},
            )
        return Account(email, {"Authorization": f"Bearer {registered['access_token']}"})

    async def subscription(self, headers: dict[str, str]) -> Json:
        return await self.call(
            "GET", f"{self.scenario.billing}/api/payments/subscription/", headers=headers
        )

    async def pay_professional_plan(self, headers: dict[str, str]) -> None:
        """Check out the professional plan at billing and pay it at the Stripe stand-in."""
        plans = await self.call("GET", f"{self.scenario.billing}/api/payments/plans/")
        professional = next(plan for plan in plans if plan["slug"] == "professional")
        checkout = await self.call(
            "POST",
            f"{self.scenario.billing}/api/payments/checkout/",
            201,
            json={"plan_id": professional["id"], "billing_period": "monthly"},
            headers=headers,
        )
        await self.call(
            "POST",
            f"{self.scenario.sandbox}/_sandbox/stripe/checkout/{checkout['session_id']}/pay",
            json={"card_number": WORKING_CARD},
        )

    async def subscription_is(self, headers: dict[str, str], status: str) -> bool:
        return (await self.subscription(headers))["status"] == status


async def paid_subscription(client: Client) -> bool:
    """Sign-up, checkout and payment: billing shows the subscription active."""
    headers = (await client.sign_up("subscriber")).headers
    await client.pay_professional_plan(headers)
    return await client.eventually(
        "an active subscription", lambda: client.subscription_is(headers, "active")
    )


async def bank_connection_synced(client: Client) -> bool:
    """A bank connection with MFA and its full sync: banking lists as many transactions as the
    Pluggy stand-in holds for the connection's accounts."""
    scenario = client.scenario
    headers = (await client.sign_up("banker")).headers
    token = await client.call(
        "POST",
        f"{scenario.banking}/api/banking/pluggy/connect-token/",
        201,
        json={},
        headers=headers,
    )
    # What Pluggy's Connect widget does with the connect token in the user's browser.
    item = await client.call(
        "POST",
        f"{scenario.sandbox}/pluggy/items",
        headers={"X-API-KEY": token["connect_token"]},
        json={
            "connectorId": MFA_CONNECTOR,
            "parameters": {"user": "user-ok", "password": "password-ok"},
        },
    )
    connection = await client.call(
        "POST",
        f"{scenario.banking}/api/banking/pluggy/callback/",
        json={"item_id": item["id"]},
        headers=headers,
    )
    await _answer_mfa(client, headers, connection["id"])
    scenario.pluggy_items.append(item["id"])
    return await client.eventually(
        "every transaction synced", lambda: _all_transactions_synced(client, headers, item["id"])
    )


async def failed_renewal_in_dunning(client: Client) -> bool:
    """A paid subscription whose card then fails at renewal: billing shows it past due and tells
    the company its payment failed."""
    scenario = client.scenario
    account = await client.sign_up("renewer")
    headers = account.headers
    await client.pay_professional_plan(headers)
    if not await _within_deadline(client, lambda: client.subscription_is(headers, "active")):
        scenario.notes.append("the subscription to renew never became active")
        return False
    subscription = await _stripe_subscription(client, account.email)
    await client.call(
        "POST",
        f"{scenario.sandbox}/_sandbox/stripe/subscriptions/{subscription['id']}/card",
        json={"card_number": DECLINED_CARD},
    )
    await client.call("POST", f"{scenario.sandbox}/_sandbox/stripe/advance", json={"days": 31})

    async def in_dunning() -> bool:
        notified = await client.call(
            "GET", f"{scenario.billing}/api/notifications/", headers=headers
        )
        kinds = {notification["kind"] for notification in notified["items"]}
        return "payment_failed" in kinds and await client.subscription_is(headers, "past_due")

    return await client.eventually("past_due and a payment_failed notification", in_dunning)


JOURNEYS: dict[str, Callable[[Client], Awaitable[bool]]] = {
    "subscription": paid_subscription,
    "bank sync": bank_connection_synced,
    "dunning": failed_renewal_in_dunning,
}


async def walk(scenario: Scenario, journey: Callable[[Client], Awaitable[bool]]) -> bool:
    """Run one journey; a step that fails for good counts as not done, with its reason noted."""
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT_SECONDS) as http:
        try:
            return await journey(Client(scenario, http))
        except JourneyFailed as failure:
            scenario.notes.append(f"{journey.__name__}: {str(failure)[:300]}")
            return False


async def _answer_mfa(client: Client, headers: dict[str, str], item_id: str) -> None:
    """Wait for the bank's MFA prompt to reach banking, then answer it there."""
    url = f"{client.scenario.banking}/api/banking/items/{item_id}"

    async def prompted() -> bool:
        return (await client.call("GET", url, headers=headers))["mfa"] is not None

    if not await _within_deadline(client, prompted):
        raise JourneyFailed("the MFA prompt never reached banking")
    prompt = (await client.call("GET", url, headers=headers))["mfa"]
    await client.call(
        "POST", f"{url}/mfa", json={"parameters": {prompt["name"]: MFA_TOKEN}}, headers=headers
    )


async def _within_deadline(client: Client, outcome: Callable[[], Awaitable[bool]]) -> bool:
    """Whether `outcome` holds before the deadline (fault or not: a step on the way)."""
    while time.monotonic() < client.scenario.deadline:
        if await outcome():
            return True
        await asyncio.sleep(POLL_SECONDS)
    return False


async def _all_transactions_synced(
    client: Client, headers: dict[str, str], pluggy_item_id: str
) -> bool:
    # Before the bank is read both counts are 0: that is not a synced connection.
    at_pluggy = await _pluggy_transaction_count(client, pluggy_item_id)
    return at_pluggy > 0 and await _banking_transaction_count(client, headers) == at_pluggy


async def _banking_transaction_count(client: Client, headers: dict[str, str]) -> int:
    url = f"{client.scenario.banking}/api/banking/transactions/"
    page = await client.call("GET", url, params={"limit": 200}, headers=headers)
    count = len(page["results"])
    while cursor := page["next_cursor"]:
        params = {"limit": 200, "cursor": cursor}
        page = await client.call("GET", url, params=params, headers=headers)
        count += len(page["results"])
    return count


async def _pluggy_transaction_count(client: Client, item_id: str) -> int:
    """What the Pluggy stand-in holds for the item's accounts (read as banking reads it)."""
    sandbox = client.scenario.sandbox
    credentials = {
        "clientId": client.scenario.pluggy_client_id,
        "clientSecret": client.scenario.pluggy_client_secret,
    }
    key = (await client.call("POST", f"{sandbox}/pluggy/auth", json=credentials))["apiKey"]
    pluggy = {"X-API-KEY": key}
    accounts = await client.call(
        "GET", f"{sandbox}/pluggy/accounts", params={"itemId": item_id}, headers=pluggy
    )
    total = 0
    for account in accounts["results"]:
        query: str | None = f"?accountId={account['id']}"
        while query:
            page = await client.call(
                "GET", f"{sandbox}/pluggy/v2/transactions{query}", headers=pluggy
            )
            total, query = total + len(page["results"]), page["next"]
    return total


async def _stripe_subscription(client: Client, email: str) -> Json:
    """The company's subscription at the Stripe stand-in, found by its customer's email."""
    sandbox = client.scenario.sandbox
    stripe = {"Authorization": f"Bearer {client.scenario.stripe_api_key}"}
    customers = await client.call(
        "GET", f"{sandbox}/v1/customers", params={"email": email}, headers=stripe
    )
    # A second customer for one email would be a duplicated effect: the measures count those.
    customer = customers["data"][0]
    subscriptions = await client.call(
        "GET", f"{sandbox}/v1/subscriptions", params={"customer": customer["id"]}, headers=stripe
    )
    subscription: Json = subscriptions["data"][0]
    return subscription
