"""Dunning under a controlled clock: billing charges the open invoice again on days 3, 7 and 14,
and cancels only once the last retry failed."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import select

from billing.config import get_settings
from billing.dunning.jobs import run_dunning
from billing.dunning.models import DunningSchedule
from billing.stripe.client import open_stripe_client
from finhub_shared.db import Database

from ..conftest import Deliver, row_counts
from ..helpers import bearer, entitlement_snapshots, open_transactions, subscription_of
from ..scenario import MONTH, T0, Company, paid_checkout
from ..stripe_objects import customer, event
from ..stripe_sandbox import CARD_DECLINED, CARD_OK, Gathering, SandboxStripe

pytestmark = pytest.mark.asyncio

FAILED_AT = T0 + MONTH + 60
FIRST_FAILURE = datetime.fromtimestamp(FAILED_AT, UTC)


def day(n: float) -> datetime:
    """`n` days after the first failure."""
    return FIRST_FAILURE + timedelta(days=n)


def at(moment: datetime) -> int:
    """A moment as a Stripe timestamp."""
    return int(moment.timestamp())


@dataclass
class PastDue:
    """A company whose renewal failed at Stripe and whose failure billing was told of."""

    company: Company
    invoice_id: str

    @property
    def pay_path(self) -> str:
        return f"/v1/invoices/{self.invoice_id}/pay"

    @property
    def cancel_path(self) -> str:
        return f"/v1/subscriptions/{self.company.subscription_id}"


async def past_due(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver
) -> PastDue:
    company = await paid_checkout(client, fake_stripe)
    await fake_stripe.fail_next_renewal(company.subscription_id)
    await deliver(event("customer.subscription.created", company.subscription(), created=T0))
    invoice_id = fake_stripe.subscriptions[company.subscription_id]["latest_invoice"]
    renewal = copy.deepcopy(fake_stripe.invoices[invoice_id])
    await deliver(event("invoice.payment_failed", renewal, created=FAILED_AT))
    return PastDue(company, invoice_id)


async def run_at(database: Database, now: datetime) -> None:
    # A fresh Stripe client per run, as after a restart: only the database remembers.
    async with open_stripe_client(get_settings()) as stripe_client:
        await run_dunning(database, stripe_client, now=now)


async def schedule(database: Database) -> DunningSchedule:
    async with database.sessions() as session:
        return (await session.execute(select(DunningSchedule))).scalar_one()


def state_of(stored: DunningSchedule) -> tuple[object, ...]:
    return (
        stored.status,
        stored.steps_done,
        stored.next_run_at,
        stored.finished_at,
        stored.attempts,
        stored.card_retry_due,
    )


def keys(fake_stripe: SandboxStripe, method: str, path: str) -> list[str]:
    """The idempotency keys of the calls made to `method path`, oldest first."""
    return [
        call.request.headers["Idempotency-Key"]
        for call in fake_stripe.router.calls
        if call.request.method == method and call.request.url.path == path
    ]


async def notices(client: httpx.AsyncClient, company: Company) -> list[dict[str, Any]]:
    """The company's notifications, oldest first."""
    response = await client.get(
        "/api/notifications/", params={"page_size": 100}, headers=bearer(company.access_token)
    )
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


async def kinds(client: httpx.AsyncClient, company: Company) -> list[str]:
    return [notice["kind"] for notice in await notices(client, company)]


async def replace_card(fake_stripe: SandboxStripe, company: Company, card_number: str) -> str:
    """The customer's card at Stripe becomes `card_number` (as on the portal): its id."""
    path = f"subscriptions/{company.subscription_id}/card"
    subscription = await fake_stripe.control(path, {"card_number": card_number})
    method_id: str = subscription["default_payment_method"]
    return method_id


async def attach(
    fake_stripe: SandboxStripe, deliver: Deliver, company: Company, card: str, when: datetime
) -> str:
    """The customer adds a card at Stripe, and billing hears of it: the card's id."""
    method_id = await replace_card(fake_stripe, company, card)
    method = copy.deepcopy(fake_stripe.payment_methods[method_id])
    await deliver(event("payment_method.attached", method, created=at(when)))
    return method_id


async def test_retries_on_days_3_7_14_and_a_cancellation_only_after_the_last(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    retries = []
    for moment in (day(2.9), day(3), day(3.5), day(7), day(13.9)):
        await run_at(database, moment)
        retries.append(len(keys(fake_stripe, "POST", dunned.pay_path)))
    before_last = await subscription_of(client, dunned.company.access_token)
    cancels_before_last = keys(fake_stripe, "DELETE", dunned.cancel_path)

    await run_at(database, day(14))

    assert retries == [0, 1, 1, 2, 2]
    assert (before_last["status"], cancels_before_last) == ("past_due", [])
    invoice = dunned.invoice_id
    assert keys(fake_stripe, "POST", dunned.pay_path) == [
        f"dunning-{invoice}-1",
        f"dunning-{invoice}-2",
        f"dunning-{invoice}-3",
    ]
    assert keys(fake_stripe, "DELETE", dunned.cancel_path)[0].startswith("dunning-cancel-")
    assert fake_stripe.invoices[invoice]["attempt_count"] == 4  # the renewal and three retries
    subscription = await subscription_of(client, dunned.company.access_token)
    assert (subscription["status"], subscription["plan"]) == ("cancelled", None)
    snapshot = (await entitlement_snapshots(database, dunned.company.company_id))[-1]
    assert (snapshot["status"], snapshot["plan"]) == ("cancelled", None)
    stored = await schedule(database)
    assert (stored.status, stored.attempts) == ("cancelled_subscription", 3)
    assert stored.last_error == "Your card was declined."
    told = await notices(client, dunned.company)
    assert [notice["kind"] for notice in told] == [
        "payment_failed",
        "payment_retry_failed",
        "payment_retry_failed",
        "subscription_cancelled",
    ]
    # Each failure names the day of the next retry, so the company can act before it.
    assert [notice["data"]["next_retry_at"] for notice in told[:3]] == [
        day(3).isoformat(),
        day(7).isoformat(),
        day(14).isoformat(),
    ]
    assert f"{day(7):%Y-%m-%d}" in told[1]["message"]

    await run_at(database, day(30))
    assert len(keys(fake_stripe, "POST", dunned.pay_path)) == 3
    assert len(keys(fake_stripe, "DELETE", dunned.cancel_path)) == 1


async def test_a_retry_that_succeeds_on_day_7_ends_dunning_at_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(3))
    # The card works again at the bank; billing has heard nothing of it.
    await replace_card(fake_stripe, dunned.company, CARD_OK)

    await run_at(database, day(7))

    assert (await subscription_of(client, dunned.company.access_token))["status"] == "active"
    stored = await schedule(database)
    assert (stored.status, stored.steps_done, stored.attempts) == ("recovered", 2, 2)
    assert fake_stripe.invoices[dunned.invoice_id]["status"] == "paid"
    # Stripe's own news of the payment comes later, twice: it changes nothing more.
    paid = copy.deepcopy(fake_stripe.invoices[dunned.invoice_id])
    await deliver(event("invoice.paid", paid, created=at(day(7)) - 5))
    await deliver(event("invoice.payment_succeeded", paid, created=at(day(7)) - 5))
    await run_at(database, day(14))
    await run_at(database, day(20))

    assert len(keys(fake_stripe, "POST", dunned.pay_path)) == 2
    assert keys(fake_stripe, "DELETE", dunned.cancel_path) == []
    assert (await subscription_of(client, dunned.company.access_token))["status"] == "active"
    told = await notices(client, dunned.company)
    assert [notice["kind"] for notice in told] == [
        "payment_failed",
        "payment_retry_failed",
        "payment_recovered",
    ]
    assert told[-1]["data"]["hosted_invoice_url"].endswith(f"/invoice/{dunned.invoice_id}")


async def test_a_payment_stripe_reports_first_stops_the_schedule(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(3))
    await fake_stripe.control(f"invoices/{dunned.invoice_id}/pay", {"card_number": CARD_OK})

    paid = copy.deepcopy(fake_stripe.invoices[dunned.invoice_id])
    await deliver(event("invoice.paid", paid, created=at(day(5))))
    await run_at(database, day(20))

    assert len(keys(fake_stripe, "POST", dunned.pay_path)) == 1
    assert keys(fake_stripe, "DELETE", dunned.cancel_path) == []
    assert (await schedule(database)).status == "recovered"
    assert (await kinds(client, dunned.company)).count("payment_recovered") == 1


async def test_an_invoice_paid_on_its_page_unknown_to_billing_is_not_charged_again(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    # Paid on Stripe's invoice page; the webhook has not reached billing.
    await fake_stripe.control(f"invoices/{dunned.invoice_id}/pay", {"card_number": CARD_OK})
    charges = fake_stripe.invoices[dunned.invoice_id]["attempt_count"]

    await run_at(database, day(3))

    assert fake_stripe.invoices[dunned.invoice_id]["attempt_count"] == charges
    assert (await schedule(database)).status == "recovered"
    assert (await subscription_of(client, dunned.company.access_token))["status"] == "active"


async def test_a_rerun_of_a_step_stripe_already_answered_does_not_charge_again(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    stripe_client: stripe.StripeClient,
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await replace_card(fake_stripe, dunned.company, CARD_OK)
    # A run made the day-3 charge and died before writing it down.
    await stripe_client.v1.invoices.pay_async(
        dunned.invoice_id, options={"idempotency_key": f"dunning-{dunned.invoice_id}-1"}
    )
    charged = fake_stripe.invoices[dunned.invoice_id]["attempt_count"]

    await run_at(database, day(3))
    await run_at(database, day(3.1))

    assert fake_stripe.invoices[dunned.invoice_id]["attempt_count"] == charged
    assert fake_stripe.router.calls[-1].response.headers["Idempotent-Replayed"] == "true"
    stored = await schedule(database)
    assert (stored.status, stored.attempts) == ("recovered", 1)
    assert (await kinds(client, dunned.company)).count("payment_recovered") == 1


async def test_two_workers_on_the_same_retry_charge_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    gathering = Gathering("POST", dunned.pay_path, expected=2)
    fake_stripe.while_answering(gathering)

    await asyncio.gather(run_at(database, day(3)), run_at(database, day(3)))

    assert gathering.arrived >= 2
    assert set(keys(fake_stripe, "POST", dunned.pay_path)) == {f"dunning-{dunned.invoice_id}-1"}
    assert fake_stripe.invoices[dunned.invoice_id]["attempt_count"] == 2
    stored = await schedule(database)
    assert (stored.steps_done, stored.attempts) == (1, 1)
    assert (await kinds(client, dunned.company)).count("payment_retry_failed") == 1


async def test_a_new_card_is_charged_at_once_with_its_own_key(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)

    card = await attach(fake_stripe, deliver, dunned.company, CARD_OK, day(1))
    await run_at(database, day(1) + timedelta(minutes=1))

    card_key = f"dunning-{dunned.invoice_id}-card-{card}-0"
    assert keys(fake_stripe, "POST", dunned.pay_path) == [card_key]
    assert fake_stripe.calls("POST", dunned.pay_path) == [{"payment_method": card}]
    assert (await subscription_of(client, dunned.company.access_token))["status"] == "active"
    stored = await schedule(database)
    assert (stored.status, stored.steps_done, stored.card_retry_due) == ("recovered", 0, False)
    await run_at(database, day(3))
    assert len(keys(fake_stripe, "POST", dunned.pay_path)) == 1


async def test_a_new_card_declined_too_is_tried_once_and_the_schedule_goes_on(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    card = await attach(fake_stripe, deliver, dunned.company, CARD_DECLINED, day(1))
    await run_at(database, day(1.1))
    # The same card made the default: already tried, not charged again.
    default = customer(dunned.company.customer_id, default_payment_method=card)
    await deliver(event("customer.updated", default, created=at(day(1.2))))
    await run_at(database, day(1.3))

    card_key = f"dunning-{dunned.invoice_id}-card-{card}-0"
    assert keys(fake_stripe, "POST", dunned.pay_path) == [card_key]
    stored = await schedule(database)
    assert (stored.status, stored.steps_done, stored.next_run_at) == ("active", 0, day(3))
    told = await notices(client, dunned.company)
    assert told[-1]["kind"] == "payment_retry_failed"
    assert "your new card" in told[-1]["message"]

    await run_at(database, day(3))
    assert keys(fake_stripe, "POST", dunned.pay_path)[-1] == f"dunning-{dunned.invoice_id}-1"


async def test_a_card_the_card_updater_renewed_is_charged_again_at_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    card = await attach(fake_stripe, deliver, dunned.company, CARD_DECLINED, day(1))
    await run_at(database, day(1.1))
    # The card network replaces the declined card under the same id (a new expiry).
    renewed = await fake_stripe.control(
        f"payment_methods/{card}/automatically_update", {"exp_month": 12, "exp_year": 2031}
    )
    await deliver(event("payment_method.automatically_updated", renewed, created=at(day(1.2))))
    await run_at(database, day(1.3))

    prefix = f"dunning-{dunned.invoice_id}-card-{card}"
    assert keys(fake_stripe, "POST", dunned.pay_path) == [f"{prefix}-0", f"{prefix}-1"]
    assert fake_stripe.calls("POST", dunned.pay_path) == [{"payment_method": card}] * 2
    # Charged twice at Stripe, not the first answer replayed.
    assert fake_stripe.invoices[dunned.invoice_id]["attempt_count"] == 3
    stored = await schedule(database)
    assert (stored.status, stored.attempts, stored.card_retry_due) == ("active", 2, False)
    assert stored.next_run_at == day(3)


async def test_a_new_default_card_is_charged_at_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(3))
    card = await replace_card(fake_stripe, dunned.company, CARD_OK)

    default = customer(dunned.company.customer_id, default_payment_method=card)
    await deliver(event("customer.updated", default, created=at(day(4))))
    await run_at(database, day(4))

    assert keys(fake_stripe, "POST", dunned.pay_path)[-1] == (
        f"dunning-{dunned.invoice_id}-card-{card}-1"
    )
    assert (await schedule(database)).status == "recovered"


async def test_after_downtime_only_the_latest_missed_retry_is_made(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)

    await run_at(database, day(10))

    assert keys(fake_stripe, "POST", dunned.pay_path) == [f"dunning-{dunned.invoice_id}-2"]
    stored = await schedule(database)
    assert (stored.steps_done, stored.next_run_at, stored.status) == (2, day(14), "active")

    await run_at(database, day(40))

    assert keys(fake_stripe, "POST", dunned.pay_path)[1:] == [f"dunning-{dunned.invoice_id}-3"]
    assert (await schedule(database)).status == "cancelled_subscription"


async def test_stripe_unreachable_at_a_retry_leaves_it_for_the_next_run(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    no_stripe_retries: None,
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(7))
    fake_stripe.disconnect("POST", dunned.pay_path)
    before = await row_counts(database), state_of(await schedule(database))

    await run_at(database, day(14))
    after_failure = await row_counts(database), state_of(await schedule(database))
    still = await subscription_of(client, dunned.company.access_token)
    fake_stripe.recover()
    await run_at(database, day(14.1))

    assert after_failure == before
    assert still["status"] == "past_due"
    assert keys(fake_stripe, "DELETE", dunned.cancel_path)[0].startswith("dunning-cancel-")
    assert set(keys(fake_stripe, "POST", dunned.pay_path)[1:]) == {f"dunning-{dunned.invoice_id}-3"}
    # The renewal, day 7's retry (day 3's was missed) and day 14's, made once.
    assert fake_stripe.invoices[dunned.invoice_id]["attempt_count"] == 3
    assert (await schedule(database)).status == "cancelled_subscription"


async def test_stripe_failing_at_cancellation_changes_nothing_and_the_next_run_cancels(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(database, day(7))
    fake_stripe.fail("DELETE", dunned.cancel_path, status=500, times=3)

    await run_at(database, day(14))
    after_failure = state_of(await schedule(database))
    still = await subscription_of(client, dunned.company.access_token)
    await run_at(database, day(14.1))

    assert after_failure[:2] == ("active", 3)
    assert still["status"] == "past_due"
    assert len(keys(fake_stripe, "POST", dunned.pay_path)) == 2
    assert (await subscription_of(client, dunned.company.access_token))["status"] == "cancelled"
    assert (await schedule(database)).status == "cancelled_subscription"
    assert (await kinds(client, dunned.company)).count("subscription_cancelled") == 1


async def test_no_transaction_is_open_while_stripe_charges_or_cancels(
    client: httpx.AsyncClient,
    fake_stripe: SandboxStripe,
    deliver: Deliver,
    database: Database,
    worker_database: Database,
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    await run_at(worker_database, day(7))
    seen: dict[str, list[str]] = {}

    async def look_at_billing(method: str, path: str) -> None:
        seen[f"{method} {path}"] = await open_transactions(database, "billing-worker")

    fake_stripe.while_answering(look_at_billing)
    await run_at(worker_database, day(14))

    assert seen == {f"POST {dunned.pay_path}": [], f"DELETE {dunned.cancel_path}": []}
    assert (await subscription_of(client, dunned.company.access_token))["status"] == "cancelled"


async def test_two_workers_cancelling_at_once_cancel_once(
    client: httpx.AsyncClient, fake_stripe: SandboxStripe, deliver: Deliver, database: Database
) -> None:
    dunned = await past_due(client, fake_stripe, deliver)
    fake_stripe.fail("DELETE", dunned.cancel_path, status=500, times=3)
    await run_at(database, day(14))
    # Both runs reach Stripe before either is answered; the one that writes second finds the
    # step taken.
    gathering = Gathering("DELETE", dunned.cancel_path, expected=2)
    fake_stripe.while_answering(gathering)

    await asyncio.gather(run_at(database, day(14.1)), run_at(database, day(14.1)))

    # Stripe answers the second 409 while the first holds the key; the client's retry follows.
    assert gathering.arrived >= 2
    assert len(set(keys(fake_stripe, "DELETE", dunned.cancel_path))) == 1
    assert (await schedule(database)).status == "cancelled_subscription"
    assert (await kinds(client, dunned.company)).count("subscription_cancelled") == 1
