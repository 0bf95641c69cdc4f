"""Webhook delivery: order, retries with backoff, the delivery log, and webhook faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from provider_sandbox.faults import FaultPlan, FaultRule
from provider_sandbox.webhooks import WebhookDispatcher

pytestmark = pytest.mark.asyncio

FAST_RETRIES = (0.01, 0.02, 0.03)
URL = "http://gateway.test/webhooks/stripe"


class Receiver:
    """The receiving end; answers with the statuses it is given, then 200."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.headers: list[httpx.Headers] = []
        self.statuses: list[int] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content.decode())
        self.headers.append(request.headers)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest_asyncio.fixture
async def dispatcher(receiver: Receiver, faults: FaultPlan) -> AsyncIterator[WebhookDispatcher]:
    sender = WebhookDispatcher(
        faults, transport=httpx.MockTransport(receiver.handle), retry_delays=FAST_RETRIES
    )
    await sender.start()
    yield sender
    await sender.stop()


def _send_numbered(dispatcher: WebhookDispatcher, count: int, target: str = "stripe") -> None:
    for number in range(count):
        dispatcher.send(URL, json.dumps({"n": number}).encode(), target=target, label=f"e{number}")


def _numbers(receiver: Receiver) -> list[int]:
    return [json.loads(body)["n"] for body in receiver.bodies]


async def test_deliveries_go_out_in_the_order_they_were_sent(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    _send_numbered(dispatcher, 10)

    await dispatcher.drain()

    assert _numbers(receiver) == list(range(10))
    assert {record.state for record in dispatcher.deliveries()} == {"delivered"}


async def test_a_failing_delivery_is_retried_until_it_gets_a_2xx(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]

    dispatcher.send(URL, b"{}", target="stripe", label="invoice.paid")
    await dispatcher.drain()

    [record] = dispatcher.deliveries()
    assert (record.state, record.attempts, record.status_code) == ("delivered", 3, 200)
    assert len(receiver.bodies) == 3


async def test_a_delivery_that_never_succeeds_is_given_up_after_the_retries(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.statuses = [500] * 10

    dispatcher.send(URL, b"{}", target="stripe", label="invoice.paid")
    await dispatcher.drain()

    [record] = dispatcher.deliveries()
    assert (record.state, record.attempts, record.status_code) == ("failed", 4, 500)


async def test_a_redirect_counts_as_a_failure(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.statuses = [302]

    dispatcher.send(URL, b"{}", target="stripe", label="x")
    await dispatcher.drain()

    assert dispatcher.deliveries()[0].attempts == 2


async def test_an_unreachable_receiver_is_recorded_by_error_kind(faults: FaultPlan) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sender = WebhookDispatcher(faults, transport=httpx.MockTransport(refuse), retry_delays=(0.01,))
    await sender.start()
    sender.send(URL, b"{}", target="pluggy", label="item/updated")
    await sender.drain()
    await sender.stop()

    [record] = sender.deliveries()
    assert (record.state, record.status_code, record.error) == ("failed", None, "ConnectError")


async def test_the_signer_runs_on_every_attempt_and_the_log_shows_header_names_only(
    dispatcher: WebhookDispatcher, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    signatures = iter(["t=1,v1=first", "t=2,v1=second", "t=3,v1=third"])

    def sign(_body: bytes) -> dict[str, str]:
        return {"Stripe-Signature": next(signatures)}

    dispatcher.send(
        URL, b"{}", target="pluggy", label="x", headers={"X-Webhook-Secret": "s3cret"}, sign=sign
    )
    await dispatcher.drain()

    assert [headers["Stripe-Signature"] for headers in receiver.headers] == [
        "t=2,v1=second",
        "t=3,v1=third",
    ]
    assert receiver.headers[0]["X-Webhook-Secret"] == "s3cret"
    logged = dispatcher.deliveries()[0].model_dump_json()
    assert "s3cret" not in logged
    assert "v1=" not in logged
    assert dispatcher.deliveries()[0].header_names == [
        "Content-Type",
        "Stripe-Signature",
        "X-Webhook-Secret",
    ]


async def test_duplicate_fault_sends_the_same_body_twice(
    dispatcher: WebhookDispatcher, receiver: Receiver, faults: FaultPlan
) -> None:
    faults.add(FaultRule(target="stripe", kind="duplicate_webhooks", every_nth=2))

    _send_numbered(dispatcher, 4)
    await dispatcher.drain()

    assert _numbers(receiver) == [0, 1, 1, 2, 3, 3]
    assert [record.duplicate for record in dispatcher.deliveries()].count(True) == 2


async def test_out_of_order_fault_lets_the_next_delivery_overtake(
    dispatcher: WebhookDispatcher, receiver: Receiver, faults: FaultPlan
) -> None:
    faults.add(FaultRule(target="all", kind="out_of_order_webhooks", every_nth=3))

    _send_numbered(dispatcher, 6)
    await dispatcher.drain()

    assert _numbers(receiver) == [0, 1, 3, 2, 4, 5]


async def test_webhook_faults_only_hit_their_target(
    dispatcher: WebhookDispatcher, receiver: Receiver, faults: FaultPlan
) -> None:
    faults.add(FaultRule(target="pluggy", kind="duplicate_webhooks"))

    _send_numbered(dispatcher, 3, target="stripe")
    await dispatcher.drain()

    assert _numbers(receiver) == [0, 1, 2]


async def test_a_held_delivery_goes_out_when_nothing_overtakes_it(
    dispatcher: WebhookDispatcher, receiver: Receiver, faults: FaultPlan
) -> None:
    faults.add(FaultRule(kind="out_of_order_webhooks"))

    _send_numbered(dispatcher, 1)
    await dispatcher.drain()

    assert _numbers(receiver) == [0]
