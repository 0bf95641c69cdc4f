"""The provider HTTP client: retries, Retry-After, idempotency, breaker, rate limits, logs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import structlog
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from finhub_shared import provider_client
from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.provider_client import (
    CircuitBreakerPolicy,
    ProviderClient,
    RateLimitRule,
    RetryPolicy,
    raise_for_provider_status,
)

FAST_RETRIES = RetryPolicy(
    max_attempts=3, backoff_initial=0.001, backoff_max=0.01, max_retry_after=1.5
)

DEFAULT_BREAKER = CircuitBreakerPolicy()

Outcome = httpx.Response | Exception
Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


class ScriptedProvider:
    """A fake provider at the HTTP boundary: answers with the scripted outcomes in turn, the last
    one for ever after, and keeps every request it was sent."""

    def __init__(self, *outcomes: Outcome) -> None:
        self._outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome.status_code, headers=outcome.headers, content=outcome.content)

    def script(self, *outcomes: Outcome) -> None:
        """Answer the next requests with these outcomes instead."""
        self._outcomes = list(outcomes)


def client_for(
    provider: Handler,
    name: str,
    *,
    retry: RetryPolicy = FAST_RETRIES,
    breaker: CircuitBreakerPolicy = DEFAULT_BREAKER,
    rate_limits: Sequence[RateLimitRule] = (),
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> ProviderClient:
    return ProviderClient(
        name,
        "https://provider.test",
        retry=retry,
        breaker=breaker,
        rate_limits=rate_limits,
        headers=headers,
        auth=auth,
        transport=httpx.MockTransport(provider),
    )


def requests_counted(provider: str, outcome: str) -> float:
    labels = {"provider": provider, "outcome": outcome}
    return REGISTRY.get_sample_value("provider_requests_total", labels) or 0.0


def circuit_gauge(provider: str) -> float | None:
    return REGISTRY.get_sample_value("provider_circuit_open", {"provider": provider})


async def timed(call: Awaitable[object]) -> float:
    """Seconds `call` took; fails the test instead of hanging when a wait is not capped."""
    started = time.monotonic()
    await asyncio.wait_for(call, timeout=3)
    return time.monotonic() - started


@pytest.mark.asyncio
async def test_answer_is_returned_with_base_url_default_headers_and_auth() -> None:
    provider = ScriptedProvider(httpx.Response(200, json={"id": "item-1"}))
    client = client_for(
        provider,
        "success",
        headers={"User-Agent": "finhub-test"},
        auth=httpx.BasicAuth("client-id", "client-secret"),
    )

    async with client:
        response = await client.get("/items/item-1", params={"expand": "accounts"})

    assert response.json() == {"id": "item-1"}
    [sent] = provider.requests
    assert str(sent.url) == "https://provider.test/items/item-1?expand=accounts"
    assert sent.headers["User-Agent"] == "finhub-test"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert requests_counted("success", "success") == 1


@pytest.mark.asyncio
async def test_each_call_is_timed_with_its_retries_and_failed_calls_too() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.06)
        return httpx.Response(200)

    async with client_for(slow, "timed") as client:
        await client.get("/accounts")
    provider = ScriptedProvider(httpx.ConnectError("refused"))
    async with client_for(provider, "timed") as client:
        with pytest.raises(ProviderUnavailable):
            await client.get("/accounts")

    labels = {"provider": "timed"}
    assert REGISTRY.get_sample_value("provider_request_duration_seconds_count", labels) == 2
    fast = REGISTRY.get_sample_value(
        "provider_request_duration_seconds_bucket", labels | {"le": "0.05"}
    )
    assert fast == 1  # the refused call; the slow one lands above 0.05 s
    assert (
        REGISTRY.get_sample_value(
            "provider_request_duration_seconds_bucket", labels | {"le": "30.0"}
        )
        == 2
    )


@pytest.mark.asyncio
async def test_server_errors_are_retried_until_the_provider_answers() -> None:
    provider = ScriptedProvider(httpx.Response(500), httpx.Response(503), httpx.Response(200))

    async with client_for(provider, "flaky") as client:
        response = await client.get("/accounts")

    assert response.status_code == 200
    assert len(provider.requests) == 3


@pytest.mark.asyncio
async def test_retry_after_in_seconds_is_honoured() -> None:
    provider = ScriptedProvider(
        httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200)
    )

    async with client_for(provider, "retry-after-seconds") as client:
        elapsed = await timed(client.get("/accounts"))

    assert len(provider.requests) == 2
    assert 0.95 <= elapsed < 1.5


@pytest.mark.asyncio
async def test_retry_after_as_http_date_is_honoured_up_to_the_cap() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    provider = ScriptedProvider(
        httpx.Response(429, headers={"Retry-After": in_a_minute}), httpx.Response(200)
    )
    capped = RetryPolicy(max_attempts=2, backoff_initial=0.001, max_retry_after=0.3)

    async with client_for(provider, "retry-after-date", retry=capped) as client:
        elapsed = await timed(client.get("/accounts"))

    assert len(provider.requests) == 2
    assert 0.28 <= elapsed < 1.0


@pytest.mark.asyncio
async def test_post_without_idempotency_key_is_not_repeated_after_a_server_error() -> None:
    provider = ScriptedProvider(httpx.Response(500), httpx.Response(200))

    async with client_for(provider, "post-500") as client:
        with pytest.raises(ProviderError) as raised:
            await client.post("/payments", json={"amount": 1000})

    assert len(provider.requests) == 1
    assert raised.value.status_code == 502
    assert raised.value.extra["provider_status"] == 500


@pytest.mark.asyncio
async def test_post_is_repeated_after_a_rate_limit_answer() -> None:
    provider = ScriptedProvider(httpx.Response(429), httpx.Response(201))

    async with client_for(provider, "post-429") as client:
        response = await client.post("/payments", json={"amount": 1000})

    assert response.status_code == 201
    assert len(provider.requests) == 2


@pytest.mark.asyncio
async def test_post_with_idempotency_key_is_repeated_with_the_same_key() -> None:
    provider = ScriptedProvider(httpx.Response(500), httpx.Response(201))

    async with client_for(provider, "post-idempotent") as client:
        response = await client.post(
            "/payments", json={"amount": 1000}, headers={"idempotency-key": "pay-42"}
        )

    assert response.status_code == 201
    assert [r.headers["Idempotency-Key"] for r in provider.requests] == ["pay-42", "pay-42"]
    assert [r.content for r in provider.requests] == [b'{"amount":1000}'] * 2


@pytest.mark.asyncio
async def test_connection_errors_are_retried_then_reported_as_unavailable() -> None:
    provider = ScriptedProvider(httpx.ConnectError("connection refused"))

    async with client_for(provider, "unreachable") as client:
        with pytest.raises(ProviderUnavailable) as raised:
            await client.get("/accounts")

    assert len(provider.requests) == FAST_RETRIES.max_attempts
    assert raised.value.status_code == 503
    assert requests_counted("unreachable", "unreachable") == 1


@pytest.mark.asyncio
async def test_post_is_repeated_when_it_never_reached_the_provider() -> None:
    provider = ScriptedProvider(httpx.ConnectError("connection refused"), httpx.Response(201))

    async with client_for(provider, "post-connect-error") as client:
        response = await client.post("/payments", json={"amount": 1000})

    assert response.status_code == 201
    assert len(provider.requests) == 2


@pytest.mark.asyncio
async def test_post_is_not_repeated_when_the_answer_timed_out() -> None:
    provider = ScriptedProvider(httpx.ReadTimeout("timed out"), httpx.Response(201))

    async with client_for(provider, "post-read-timeout") as client:
        with pytest.raises(ProviderUnavailable):
            await client.post("/payments", json={"amount": 1000})

    assert len(provider.requests) == 1


@pytest.mark.asyncio
async def test_client_errors_are_returned_without_retrying() -> None:
    body = {"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found"}
    provider = ScriptedProvider(httpx.Response(404, json=body), httpx.Response(200))

    async with client_for(provider, "not-found") as client:
        response = await client.get("/items/missing")

    assert response.status_code == 404
    assert len(provider.requests) == 1
    assert requests_counted("not-found", "client_error") == 1


def test_unexpected_status_becomes_provider_error_with_the_provider_code() -> None:
    body = {"code": 404, "codeDescription": "ITEM_NOT_FOUND", "message": "Item not found"}
    request = httpx.Request("GET", "https://provider.test/items/x", headers={"X-API-KEY": "key-1"})
    response = httpx.Response(404, json=body, request=request)

    with pytest.raises(ProviderError) as raised:
        raise_for_provider_status(response, provider="pluggy")

    assert raised.value.to_body() == {
        "code": "provider_error",
        "message": "pluggy answered HTTP 404: Item not found",
        "provider": "pluggy",
        "provider_status": 404,
        "provider_code": "ITEM_NOT_FOUND",
    }
    assert "key-1" not in str(raised.value.to_body())


def test_provider_rate_limit_becomes_unavailable_and_success_passes() -> None:
    stripe_body = {"error": {"type": "rate_limit_error", "message": "Too many requests"}}

    with pytest.raises(ProviderUnavailable) as raised:
        raise_for_provider_status(httpx.Response(429, json=stripe_body), provider="stripe")
    raise_for_provider_status(httpx.Response(204), provider="stripe")

    assert raised.value.extra["provider_code"] == "rate_limit_error"


@pytest.mark.asyncio
async def test_exhausted_server_errors_keep_the_provider_error_code() -> None:
    body = {"error": {"type": "api_error", "message": "Something went wrong on our end"}}
    provider = ScriptedProvider(httpx.Response(500, json=body))

    async with client_for(provider, "stripe-500") as client:
        with pytest.raises(ProviderError) as raised:
            await client.get("/v1/customers/cus_1")

    assert len(provider.requests) == FAST_RETRIES.max_attempts
    assert raised.value.extra["provider_code"] == "api_error"
    assert raised.value.message == "stripe-500 answered HTTP 500: Something went wrong on our end"


@pytest.mark.asyncio
async def test_circuit_opens_fails_fast_then_closes_after_a_successful_trial() -> None:
    provider = ScriptedProvider(httpx.Response(500))
    breaker = CircuitBreakerPolicy(failure_threshold=2, reset_after_seconds=0.2)

    async with client_for(provider, "breaker", breaker=breaker) as client:
        for _ in range(2):
            with pytest.raises(ProviderError):
                await client.get("/accounts")
        sent_before_opening = len(provider.requests)

        with pytest.raises(ProviderUnavailable):
            await client.get("/accounts")
        assert len(provider.requests) == sent_before_opening
        assert circuit_gauge("breaker") == 1
        assert requests_counted("breaker", "circuit_open") == 1

        await asyncio.sleep(0.25)
        provider.script(httpx.Response(200))
        trial = await client.get("/accounts")
        after_trial = await client.get("/accounts")

    assert (trial.status_code, after_trial.status_code) == (200, 200)
    assert circuit_gauge("breaker") == 0


@pytest.mark.asyncio
async def test_failed_trial_opens_the_circuit_again() -> None:
    provider = ScriptedProvider(httpx.Response(500))
    breaker = CircuitBreakerPolicy(failure_threshold=1, reset_after_seconds=0.2)

    async with client_for(provider, "breaker-reopen", breaker=breaker) as client:
        with pytest.raises(ProviderError):
            await client.get("/accounts")
        await asyncio.sleep(0.25)
        with pytest.raises(ProviderError):
            await client.get("/accounts")
        sent = len(provider.requests)

        with pytest.raises(ProviderUnavailable):
            await client.get("/accounts")

    assert len(provider.requests) == sent


@pytest.mark.asyncio
async def test_client_errors_do_not_count_towards_opening_the_circuit() -> None:
    provider = ScriptedProvider(httpx.Response(500), httpx.Response(404), httpx.Response(500))
    breaker = CircuitBreakerPolicy(failure_threshold=2, reset_after_seconds=60)
    no_retries = RetryPolicy(max_attempts=1)

    async with client_for(provider, "breaker-4xx", breaker=breaker, retry=no_retries) as client:
        with pytest.raises(ProviderError):
            await client.get("/accounts")
        assert (await client.get("/accounts")).status_code == 404
        with pytest.raises(ProviderError):
            await client.get("/accounts")
        provider.script(httpx.Response(200))
        response = await client.get("/accounts")

    assert response.status_code == 200


@pytest.mark.asyncio
async def test_only_one_trial_at_a_time_and_a_cancelled_trial_frees_its_place() -> None:
    provider_is_down = True
    stalled = asyncio.Event()

    async def provider(request: httpx.Request) -> httpx.Response:
        if provider_is_down:
            return httpx.Response(500)
        stalled.set()
        await asyncio.sleep(10)
        return httpx.Response(200)

    breaker = CircuitBreakerPolicy(failure_threshold=1, reset_after_seconds=0.1)
    async with client_for(provider, "breaker-cancel", breaker=breaker) as client:
        with pytest.raises(ProviderError):
            await client.get("/accounts")
        await asyncio.sleep(0.15)
        provider_is_down = False
        trial = asyncio.create_task(client.get("/accounts"))
        await stalled.wait()
        with pytest.raises(ProviderUnavailable):
            await client.get("/accounts")
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial

        stalled.clear()
        next_trial = asyncio.create_task(client.get("/accounts"))
        await asyncio.wait_for(stalled.wait(), timeout=1)
        next_trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await next_trial


@pytest.mark.asyncio
async def test_bursts_beyond_a_rule_wait_while_other_rules_stay_free() -> None:
    provider = ScriptedProvider(httpx.Response(200))
    rules = [
        RateLimitRule("PATCH", r"/items/[^/]+", per_minute=120),
        RateLimitRule("GET", r"/accounts", per_minute=120),
    ]

    async with client_for(provider, "rate-limit", rate_limits=rules) as client:
        within_capacity = await timed(
            asyncio.gather(*(client.request("PATCH", f"/items/{n}") for n in range(120)))
        )
        other_rule = await timed(client.get("/accounts"))
        beyond_capacity = await timed(client.request("PATCH", "/items/one-more"))

    assert within_capacity < 0.3
    assert other_rule < 0.1
    # 120 a minute refills one request every half second.
    assert beyond_capacity >= 0.3


@pytest.mark.asyncio
async def test_retry_logs_name_the_call_but_never_headers_or_query_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = ScriptedProvider(httpx.Response(503), httpx.Response(200))
    # configure_logging caches loggers on first use; a fresh one is sure to reach capture_logs.
    monkeypatch.setattr(provider_client, "log", structlog.get_logger(provider_client.__name__))

    async with client_for(provider, "logging") as client:
        with capture_logs() as logs:
            await client.get(
                "/identity",
                params={"cpf": "12345678909"},
                headers={"X-API-KEY": "secret-api-key"},
            )

    [retry] = [entry for entry in logs if entry["event"] == "provider_request_retry"]
    assert retry["method"] == "GET"
    assert retry["path"] == "/identity"
    assert retry["status"] == 503
    assert retry["attempt"] == 1
    assert "12345678909" not in repr(logs)
    assert "secret-api-key" not in repr(logs)
