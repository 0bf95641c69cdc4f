"""Fault injection: reproducible plans, provider-shaped errors, and the control API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from provider_sandbox.faults import (
    PLUGGY_SCOPE,
    STRIPE_SCOPE,
    FaultInjectionMiddleware,
    FaultPlan,
    FaultRule,
)
from provider_sandbox.main import create_app


def _fired(plan: FaultPlan, target: str, calls: int) -> list[bool]:
    return [bool(plan.api_faults(target)) for _ in range(calls)]


def test_every_nth_fires_on_exactly_those_calls() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(target="stripe", kind="server_error", every_nth=3))

    assert _fired(plan, "stripe", 9) == [False, False, True] * 3


def test_a_seed_makes_the_random_share_reproducible() -> None:
    first, second = FaultPlan(), FaultPlan()
    for plan in (first, second):
        plan.add(FaultRule(kind="server_error", share=0.3, seed=42))

    pattern = _fired(first, "stripe", 200)

    assert pattern == _fired(second, "stripe", 200)
    assert 30 < sum(pattern) < 90


def test_share_zero_never_fires_and_share_one_always_fires() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(kind="rate_limit", share=0.0))
    assert not any(_fired(plan, "pluggy", 50))

    plan.clear()
    plan.add(FaultRule(kind="rate_limit", share=1.0))
    assert all(_fired(plan, "pluggy", 50))


def test_times_caps_how_often_a_rule_fires() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(kind="server_error", times=2))

    assert _fired(plan, "stripe", 5) == [True, True, False, False, False]
    assert plan.rules()[0].fired == 2
    assert plan.rules()[0].calls == 5


def test_a_rule_only_hits_its_target_and_webhook_rules_never_hit_api_calls() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(target="pluggy", kind="server_error"))
    plan.add(FaultRule(target="all", kind="duplicate_webhooks"))

    assert not any(_fired(plan, "stripe", 5))
    assert all(_fired(plan, "pluggy", 5))


@pytest_asyncio.fixture
async def faulty_app() -> AsyncIterator[tuple[FaultPlan, httpx.AsyncClient]]:
    """A tiny app with a Stripe-like, a Pluggy-like and a control route behind the middleware."""
    plan = FaultPlan()
    app = FastAPI()
    app.add_middleware(FaultInjectionMiddleware, plan=plan, scopes=(STRIPE_SCOPE, PLUGGY_SCOPE))

    @app.get("/v1/customers")
    async def customers() -> dict[str, str]:
        return {"object": "list"}

    @app.get("/pluggy/items")
    async def items() -> dict[str, str]:
        return {"results": "[]"}

    @app.get("/_sandbox/faults")
    async def control() -> dict[str, str]:
        return {"ok": "yes"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield plan, http


@pytest.mark.asyncio
async def test_stripe_rate_limit_has_retry_after_and_stripes_error_shape(
    faulty_app: tuple[FaultPlan, httpx.AsyncClient],
) -> None:
    plan, http = faulty_app
    plan.add(FaultRule(target="stripe", kind="rate_limit", retry_after=7))

    response = await http.get("/v1/customers")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["code"] == "rate_limit"


@pytest.mark.asyncio
async def test_pluggy_server_error_has_pluggys_error_shape(
    faulty_app: tuple[FaultPlan, httpx.AsyncClient],
) -> None:
    plan, http = faulty_app
    plan.add(FaultRule(target="pluggy", kind="server_error"))

    response = await http.get("/pluggy/items")

    assert response.status_code == 500
    assert response.json()["code"] == 500
    assert response.json()["codeDescription"] == "INTERNAL_SERVER_ERROR"
    assert (await http.get("/v1/customers")).status_code == 200


@pytest.mark.asyncio
async def test_control_calls_are_never_faulted(
    faulty_app: tuple[FaultPlan, httpx.AsyncClient],
) -> None:
    plan, http = faulty_app
    plan.add(FaultRule(target="all", kind="server_error"))

    assert (await http.get("/_sandbox/faults")).status_code == 200
    assert plan.rules()[0].calls == 0


@pytest.mark.asyncio
async def test_latency_delays_the_answer_but_lets_it_through(
    faulty_app: tuple[FaultPlan, httpx.AsyncClient],
) -> None:
    plan, http = faulty_app
    plan.add(FaultRule(target="stripe", kind="latency", latency_ms=200))

    started = time.perf_counter()
    response = await http.get("/v1/customers")

    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2


@pytest.mark.asyncio
async def test_a_timeout_fault_outlasts_the_callers_timeout(
    faulty_app: tuple[FaultPlan, httpx.AsyncClient],
) -> None:
    plan, http = faulty_app
    plan.add(FaultRule(target="stripe", kind="timeout", timeout_seconds=5))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await http.get("/v1/customers")


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": "Bearer sk_test_faults"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as http:
            yield http


@pytest.mark.asyncio
async def test_control_api_adds_lists_and_clears_faults(sandbox: httpx.AsyncClient) -> None:
    added = await sandbox.post(
        "/_sandbox/faults", json={"target": "stripe", "kind": "server_error", "every_nth": 2}
    )
    answers = [(await sandbox.get("/v1/customers")).status_code for _ in range(4)]
    listed = (await sandbox.get("/_sandbox/faults")).json()
    cleared = await sandbox.delete("/_sandbox/faults")

    assert added.status_code == 201
    assert answers == [200, 500, 200, 500]
    assert [(rule["calls"], rule["fired"]) for rule in listed] == [(4, 2)]
    assert cleared.status_code == 204
    assert (await sandbox.get("/v1/customers")).status_code == 200


@pytest.mark.asyncio
async def test_control_api_removes_one_rule_and_rejects_bad_rules(
    sandbox: httpx.AsyncClient,
) -> None:
    rule = (await sandbox.post("/_sandbox/faults", json={"kind": "rate_limit"})).json()

    removed = await sandbox.delete(f"/_sandbox/faults/{rule['id']}")
    missing = await sandbox.delete(f"/_sandbox/faults/{rule['id']}")
    invalid = await sandbox.post("/_sandbox/faults", json={"kind": "meteor", "share": 2})

    assert removed.status_code == 204
    assert missing.status_code == 404
    assert invalid.status_code == 422


@pytest.mark.asyncio
async def test_an_injected_500_is_not_saved_under_the_idempotency_key(
    sandbox: httpx.AsyncClient,
) -> None:
    await sandbox.post("/_sandbox/faults", json={"kind": "server_error", "times": 1})
    headers = {"Idempotency-Key": "retry-after-500"}

    failed = await sandbox.post("/v1/customers", data={"email": "a@b.c"}, headers=headers)
    retried = await sandbox.post("/v1/customers", data={"email": "a@b.c"}, headers=headers)

    assert failed.status_code == 500
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
