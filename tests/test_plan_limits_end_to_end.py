"""A plan's limits across services, with the real PostgreSQL and RabbitMQ.

Bank accounts: a company on the starter plan (3 bank accounts) connects a bank with 3 accounts →
banking refuses a fourth connection with 403 `bank_account_limit_reached`, suggesting the
professional plan → the company upgrades at billing (Stripe prorates; its webhooks go through the
gateway and RabbitMQ to billing) → billing's new entitlements reach banking → allowed.

Transactions: a starter company (1,000 a month) connects a bank with more → banking keeps them
all, lists only each month's first 1,000 (the rest hidden until a larger plan), and the company is
told through billing's notifications. The
bank's clock (the Pluggy stand-in's) is set to a chosen day, so the months the history fills do
not depend on the day the test runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from banking.money import BRAZIL_TIME, month_of

from .parts import running_system

STARTER, PROFESSIONAL = 1, 2


async def banking_plan(banking_api: httpx.AsyncClient, headers: dict[str, str], plan: str) -> None:
    """Wait until banking applies `plan`'s limits (billing's snapshot has arrived)."""
    async with asyncio.timeout(60):
        while True:
            usage = (await banking_api.get("/api/banking/usage/", headers=headers)).json()
            if usage["plan"] == plan:
                return
            await asyncio.sleep(0.3)


async def connect_token(banking_api: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await banking_api.post("/api/banking/pluggy/connect-token/", json={}, headers=headers)


@dataclass(frozen=True)
class Journey:
    """The running system, and a company of it that paid for the starter plan."""

    sandbox: httpx.AsyncClient
    billing: httpx.AsyncClient
    banking: httpx.AsyncClient
    headers: dict[str, str]

    async def connect_bank(self, user: str) -> dict[str, Any]:
        """Connect a bank at the Pluggy stand-in as `user`; banking's callback answer."""
        token = await connect_token(self.banking, self.headers)
        assert token.status_code == 201, token.text
        item = await self.sandbox.post(
            "/pluggy/items",
            headers={"X-API-KEY": token.json()["connect_token"]},
            json={"connectorId": 0, "parameters": {"user": user, "password": "password-ok"}},
        )
        await self.sandbox.post("/pluggy/_sandbox/advance", json={"minutes": 2})
        connected = await self.banking.post(
            "/api/banking/pluggy/callback/",
            json={"item_id": item.json()["id"]},
            headers=self.headers,
        )
        assert connected.status_code == 200, connected.text
        body: dict[str, Any] = connected.json()
        return body

    async def set_bank_clock(self, day: int) -> datetime:
        """Stop the bank's clock at noon in Brazil on `day` of next month (it only moves forward,
        so next month is always reachable); that moment."""
        await self.sandbox.post("/pluggy/_sandbox/clock", json={"frozen": True})
        clock = await self.sandbox.get("/pluggy/_sandbox/clock")
        now = datetime.fromisoformat(clock.json()["now"])
        next_month = month_of(now) + timedelta(days=31)
        today = datetime.combine(next_month.replace(day=day), time(12), BRAZIL_TIME)
        moved = await self.sandbox.post(
            "/pluggy/_sandbox/advance", json={"seconds": (today - now).total_seconds()}
        )
        assert datetime.fromisoformat(moved.json()["now"]) == today, moved.text
        return today


@asynccontextmanager
async def starter_company() -> AsyncIterator[Journey]:
    """The running system, with a company registered and on the starter plan."""
    async with running_system() as system:
        headers = await system.register("rui@mercearia.com.br", "Rui Alves", "Mercearia Alves")
        await system.pay_checkout(headers, STARTER)
        await banking_plan(system.banking, headers, "starter")
        yield Journey(system.sandbox, system.billing, system.banking, headers)


@pytest.mark.asyncio
async def test_the_bank_account_limit_follows_the_plan_paid_for() -> None:
    async with starter_company() as journey:
        banking_api, billing_api, headers = journey.banking, journey.billing, journey.headers
        # A bank with a checking account, a savings account and a credit card: 3 of 3.
        connected = await journey.connect_bank("user-ok")
        assert len(connected["accounts"]) == 3

        refused = await connect_token(banking_api, headers)

        upgraded = await billing_api.post(
            "/api/payments/subscription/change-plan/",
            json={"plan_id": PROFESSIONAL, "billing_period": "monthly"},
            headers=headers,
        )
        assert upgraded.status_code == 200, upgraded.text
        await banking_plan(banking_api, headers, "professional")
        allowed = await connect_token(banking_api, headers)

    body: dict[str, Any] = refused.json()
    assert refused.status_code == 403
    assert {key: body[key] for key in ("code", "current", "limit", "upgrade_required")} == {
        "code": "bank_account_limit_reached",
        "current": 3,
        "limit": 3,
        "upgrade_required": True,
    }
    assert body["suggested_plan"] == "professional"
    assert allowed.status_code == 201, allowed.text


# The bank's history is a year of ~38 transactions a day (~14,000 for `user-ok-perf-40`), so
# every whole month holds more than 1,000 (a 28-day February ~1,070). On the 1st the month under
# way holds a few; on the 28th it is past the limit too. Either way the month before is whole.
@pytest.mark.asyncio
@pytest.mark.parametrize("day", [1, 28], ids=["bank-on-the-1st", "bank-on-the-28th"])
async def test_transactions_past_the_monthly_limit_are_kept_hidden_and_the_company_told(
    day: int,
) -> None:
    async with starter_company() as journey:
        today = await journey.set_bank_clock(day)
        last_day_of_last_month = today - timedelta(days=day)
        last_month = month_of(last_day_of_last_month)
        await journey.connect_bank("user-ok-perf-40")
        async with asyncio.timeout(60):
            while (notice := await limit_notice(journey, last_month)) is None:
                await asyncio.sleep(0.5)
        shown = await listed_between(journey, last_month, last_day_of_last_month.date())

    assert notice["transactions_limit"] == 1000
    assert notice["transactions"] > 1000
    assert shown == 1000


async def listed_between(journey: Journey, first: date, last: date) -> int:
    """How many transactions banking lists from `first` to `last`, page after page."""
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {"date_from": first.isoformat(), "date_to": last.isoformat()}
        page = await journey.banking.get(
            "/api/banking/transactions/",
            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=journey.headers,
        )
        assert page.status_code == 200, page.text
        count += len(page.json()["results"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return count


async def limit_notice(journey: Journey, month: date) -> dict[str, Any] | None:
    """The details of billing's `transaction_limit_reached` notification for `month`, if any."""
    listed = await journey.billing.get("/api/notifications/", headers=journey.headers)
    for notification in listed.json()["items"]:
        details: dict[str, Any] = notification["data"]
        if (
            notification["kind"] == "transaction_limit_reached"
            and details["month"] == f"{month:%Y-%m}"
        ):
            return details
    return None
