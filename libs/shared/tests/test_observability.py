"""Correlation ids at the HTTP edge, request metrics by route template, health and readiness."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from finhub_shared.correlation import current_correlation_id
from finhub_shared.db import Database
from finhub_shared.logging import configure_logging, get_logger
from finhub_shared.observability import ReadinessCheck, install_observability

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Nothing listens on port 1, and the password must not reach the readiness answer.
CLOSED_PORT_URL = "postgresql://postgres:pg-secret-pw@127.0.0.1:1/postgres"
ITEM_ROUTE = "/api/banking/items/{item_id}"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """JSON logs written to a buffer; the process-wide logging set-up is restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("banking", stream=stream)
    yield stream
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def _log_lines(stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    """The lines logged with this event name (the test client logs its requests too)."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["event"] == event]


async def _passes() -> None:
    return None


def _build_app(checks: dict[str, ReadinessCheck], readiness_timeout: float = 2.0) -> FastAPI:
    app = FastAPI()
    install_observability(app, checks, readiness_timeout=readiness_timeout)

    @app.get(ITEM_ROUTE)
    async def read_item(item_id: str) -> dict[str, str | None]:
        get_logger("banking.items").info("item_read", item_id=item_id)
        return {"item_id": item_id, "correlation_id": current_correlation_id()}

    @app.get("/api/banking/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    return app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = _build_app({"database": _passes, "broker": _passes})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _readyz(checks: dict[str, ReadinessCheck], time_limit: float = 2.0) -> httpx.Response:
    app = _build_app(checks, readiness_timeout=time_limit)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        return await client.get("/readyz")


# Correlation ids


@pytest.mark.asyncio
async def test_a_sane_correlation_id_is_used_echoed_and_logged(
    client: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    response = await client.get(
        "/api/banking/items/item-1", headers={"X-Correlation-ID": "req-42.retry_1"}
    )

    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == "req-42.retry_1"
    assert response.json()["correlation_id"] == "req-42.retry_1"
    [line] = _log_lines(log_stream, "item_read")
    assert line["correlation_id"] == "req-42.retry_1"


@pytest.mark.asyncio
async def test_x_request_id_is_accepted_when_there_is_no_correlation_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/banking/items/item-1", headers={"X-Request-ID": "lb-7781"})

    assert response.headers["X-Correlation-ID"] == "lb-7781"


@pytest.mark.asyncio
async def test_a_correlation_id_is_generated_when_none_is_sent(
    client: httpx.AsyncClient, log_stream: io.StringIO
) -> None:
    first = await client.get("/api/banking/items/item-1")
    second = await client.get("/api/banking/items/item-1")

    generated = first.headers["X-Correlation-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert second.headers["X-Correlation-ID"] != generated
    logged = [line["correlation_id"] for line in _log_lines(log_stream, "item_read")]
    assert logged == [generated, second.headers["X-Correlation-ID"]]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "bad_value",
    ["has spaces", "x" * 129, 'quote"injection', "semi;colon", "{json}", "ação"],
)
async def test_an_unsafe_correlation_id_is_replaced(
    client: httpx.AsyncClient, log_stream: io.StringIO, bad_value: str
) -> None:
    response = await client.get(
        "/api/banking/items/item-1", headers={b"X-Correlation-ID": bad_value.encode()}
    )

    replacement = response.headers["X-Correlation-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replacement)
    [line] = _log_lines(log_stream, "item_read")
    assert line["correlation_id"] == replacement
    assert bad_value not in log_stream.getvalue()


@pytest.mark.asyncio
async def test_the_longest_allowed_correlation_id_is_kept(client: httpx.AsyncClient) -> None:
    longest = "a" * 128

    response = await client.get("/healthz", headers={"X-Correlation-ID": longest})

    assert response.headers["X-Correlation-ID"] == longest


# Liveness and readiness


@pytest.mark.asyncio
async def test_healthz_answers_without_running_the_checks() -> None:
    calls: list[str] = []

    async def broken_database() -> None:
        calls.append("database")
        raise ConnectionRefusedError

    app = _build_app({"database": broken_database})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive", "checks": {}}
    assert calls == []


@pytest.mark.asyncio
async def test_readyz_is_200_when_every_check_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.asyncio
async def test_readyz_is_503_naming_a_check_that_raises_without_its_secret_detail(
    log_stream: io.StringIO,
) -> None:
    async def broker_refuses() -> None:
        raise ConnectionError("cannot connect to amqp://finhub:rabbit-pw-77@rabbit:5672/")

    response = await _readyz({"database": _passes, "broker": broker_refuses})

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "code": "not_ready",
        "message": "Not ready: broker.",
        "checks": {"database": "ok", "broker": "unreachable: ConnectionError"},
    }
    [line] = _log_lines(log_stream, "readiness_check_failed")
    assert line["check"] == "broker"
    assert "amqp://finhub:***@rabbit:5672/" in line["error"]
    assert "rabbit-pw-77" not in log_stream.getvalue()


@pytest.mark.asyncio
async def test_readyz_is_503_when_a_check_hangs_past_the_timeout() -> None:
    async def broker_hangs() -> None:
        await asyncio.sleep(30)

    started = time.perf_counter()
    response = await _readyz({"database": _passes, "broker": broker_hangs}, time_limit=0.2)

    assert time.perf_counter() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "unreachable: no answer within 0.2s",
    }


@pytest.mark.asyncio
async def test_readiness_checks_run_concurrently() -> None:
    async def slow_but_fine() -> None:
        await asyncio.sleep(0.4)

    started = time.perf_counter()
    response = await _readyz({"database": slow_but_fine, "broker": slow_but_fine}, time_limit=1.0)

    assert response.status_code == 200
    assert time.perf_counter() - started < 0.75


async def _ping(database_url: str) -> None:
    database = Database(database_url, application_name="readiness-test", pool_size=1)
    try:
        await database.ping()
    finally:
        await database.dispose()


@pytest.mark.asyncio
async def test_readyz_against_the_real_database() -> None:
    async def database_reachable() -> None:
        await _ping(POSTGRES_URL)

    response = await _readyz({"database": database_reachable})

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


@pytest.mark.asyncio
async def test_readyz_is_503_when_the_database_port_is_closed() -> None:
    async def database_on_closed_port() -> None:
        await _ping(CLOSED_PORT_URL)

    response = await _readyz({"database": database_on_closed_port, "broker": _passes})

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"]["database"].startswith("unreachable: ")
    assert body["checks"]["broker"] == "ok"
    assert "pg-secret-pw" not in response.text


# Metrics


def _requests_total(**labels: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


@pytest.mark.asyncio
async def test_metrics_count_requests_by_route_template_not_raw_path(
    client: httpx.AsyncClient,
) -> None:
    labels = {"method": "GET", "route": ITEM_ROUTE, "status": "200"}
    before = _requests_total(**labels)

    await client.get("/api/banking/items/item-aaa")
    await client.get("/api/banking/items/item-bbb")
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    samples = families["http_requests"].samples
    routes = {sample.labels["route"] for sample in samples}
    assert ITEM_ROUTE in routes
    assert not any("item-aaa" in route or "item-bbb" in route for route in routes)
    assert _requests_total(**labels) == before + 2
    latency = REGISTRY.get_sample_value(
        "http_request_duration_seconds_count", {"method": "GET", "route": ITEM_ROUTE}
    )
    assert latency is not None
    assert latency >= 2


@pytest.mark.asyncio
async def test_unmatched_paths_share_one_label(client: httpx.AsyncClient) -> None:
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = _requests_total(**labels)

    await client.get("/no/such/path/1")
    await client.get("/no/such/path/2")

    assert _requests_total(**labels) == before + 2


@pytest.mark.asyncio
async def test_a_request_that_crashes_is_counted_as_500() -> None:
    app = _build_app({})
    labels = {"method": "GET", "route": "/api/banking/boom", "status": "500"}
    before = _requests_total(**labels)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/banking/boom")

    assert response.status_code == 500
    assert _requests_total(**labels) == before + 1


def test_health_and_metrics_routes_stay_out_of_the_openapi_schema() -> None:
    paths = _build_app({}).openapi()["paths"]

    assert ITEM_ROUTE in paths
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)
