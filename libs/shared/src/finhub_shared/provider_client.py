"""HTTP client for provider APIs (Stripe, Pluggy): timeouts, retries, circuit breaker, rate limits.

Every call returns the provider's `httpx.Response` when the provider answered below 500 (callers map
the 4xx they expect to their own errors and pass the rest to `raise_for_provider_status`). A call
that still fails with a 5xx or a network error after its retries raises `ProviderError` or
`ProviderUnavailable`. Logs and errors never carry headers, bodies or query strings: they can hold
API keys, tokens and CPFs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpx
import structlog
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

from finhub_shared.errors import ProviderError, ProviderUnavailable
from finhub_shared.metrics import PROVIDER_CIRCUIT_OPEN, PROVIDER_LATENCY, PROVIDER_REQUESTS

log = structlog.get_logger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

# Raised before a single byte of the request left this process, so retrying never repeats an effect.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_MAX_PROVIDER_MESSAGE_LENGTH = 300


@dataclass(frozen=True)
class RateLimitRule:
    """At most `per_minute` requests whose method and path match; `method` "*" matches any method.

    `path_pattern` is a regular expression that must match the whole path (without query string),
    e.g. `r"/items/[^/]+"`. Each rule has its own budget; the first matching rule applies.
    """

    method: str
    path_pattern: str
    per_minute: int

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path counts against this rule."""
        method_matches = self.method == "*" or self.method.upper() == method.upper()
        return method_matches and re.fullmatch(self.path_pattern, path) is not None


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a call gets (the first included) and how long to wait between them."""

    max_attempts: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class CircuitBreakerPolicy:
    """Open after `failure_threshold` failed calls in a row; try one call again after the pause."""

    failure_threshold: int = 5
    reset_after_seconds: float = 30.0


class _CircuitBreaker:
    """Consecutive-failure breaker for one client; half-open, it lets a single trial call through.

    Written here rather than taken from purgatory 3.0.1: purgatory records every call as a success
    or a failure (a cancelled call would reset the count or close a half-open circuit), lets every
    concurrent call through while half-open, and times the pause with the wall clock.
    """

    def __init__(self, provider: str, policy: CircuitBreakerPolicy) -> None:
        self._provider = provider
        self._policy = policy
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    def allows_call(self) -> bool:
        """Whether a call may go out now; once the pause is over, the first caller is the trial."""
        if self._opened_at is None:
            return True
        paused_for = time.monotonic() - self._opened_at
        if self._trial_in_flight or paused_for < self._policy.reset_after_seconds:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        """The provider answered: close the circuit."""
        if self._opened_at is not None:
            log.info("provider_circuit_closed", provider=self._provider)
            PROVIDER_CIRCUIT_OPEN.labels(provider=self._provider).set(0)
        self._consecutive_failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        """The provider failed the call: open at the threshold, or again after a failed trial."""
        self._consecutive_failures += 1
        self._trial_in_flight = False
        if self._opened_at is None and self._consecutive_failures < self._policy.failure_threshold:
            return
        if self._opened_at is None:
            log.error("provider_circuit_opened", provider=self._provider)
            PROVIDER_CIRCUIT_OPEN.labels(provider=self._provider).set(1)
        self._opened_at = time.monotonic()

    def record_no_verdict(self) -> None:
        """The call ended without telling us anything about the provider (cancelled, or our bug)."""
        self._trial_in_flight = False


class ProviderClient:
    """An async HTTP client for one provider API, shared by a service for its whole lifetime."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreakerPolicy = CircuitBreakerPolicy(),
        rate_limits: Sequence[RateLimitRule] = (),
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self._retry = retry
        self._backoff = wait_random_exponential(
            multiplier=retry.backoff_initial, max=retry.backoff_max
        )
        self._breaker = _CircuitBreaker(name, breaker)
        self._rate_limits = [
            (rule, AsyncLimiter(rule.per_minute, time_period=60)) for rule in rate_limits
        ]
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=headers, auth=auth, transport=transport
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET `path`; see `request`."""
        return await self.request("GET", path, params=params, headers=headers)

    async def post(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST `path`; retried on 5xx and network errors only with an Idempotency-Key header."""
        return await self.request(
            "POST", path, params=params, json=json, data=data, headers=headers
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request to `path` (relative to the base URL) and return any answer below 500.

        Raises ProviderUnavailable when the circuit is open or the provider cannot be reached,
        and ProviderError when it still answers 5xx after the retries.
        """
        request = self._http.build_request(
            method, path, params=params, json=json, data=data, headers=headers
        )
        # The path as the caller wrote it, without the query string: what rules match and logs show.
        path_only = httpx.URL(path).path
        if not self._breaker.allows_call():
            PROVIDER_REQUESTS.labels(provider=self.name, outcome="circuit_open").inc()
            raise ProviderUnavailable(
                f"{self.name} is failing; try again shortly", provider=self.name
            )
        started = time.monotonic()
        try:
            response = await self._send_with_retries(request, path_only)
        except httpx.TransportError as error:
            self._breaker.record_failure()
            PROVIDER_REQUESTS.labels(provider=self.name, outcome="unreachable").inc()
            log.warning(
                "provider_request_failed",
                provider=self.name,
                method=request.method,
                path=path_only,
                error=type(error).__name__,
            )
            raise ProviderUnavailable(
                f"{self.name} could not be reached", provider=self.name
            ) from error
        except BaseException:
            self._breaker.record_no_verdict()
            raise
        finally:
            PROVIDER_LATENCY.labels(provider=self.name).observe(time.monotonic() - started)
        return self._settle(request.method, path_only, response)

    def _settle(self, method: str, path: str, response: httpx.Response) -> httpx.Response:
        """Record how the call ended; raise for a 5xx, return anything else."""
        if response.status_code < 500:
            self._breaker.record_success()
            PROVIDER_REQUESTS.labels(provider=self.name, outcome=_outcome_of(response)).inc()
            return response
        self._breaker.record_failure()
        PROVIDER_REQUESTS.labels(provider=self.name, outcome="server_error").inc()
        log.warning(
            "provider_request_failed",
            provider=self.name,
            method=method,
            path=path,
            status=response.status_code,
        )
        raise _provider_error(self.name, response)

    async def _send_with_retries(self, request: httpx.Request, path: str) -> httpx.Response:
        may_repeat = _is_idempotent(request)

        def should_retry_response(response: httpx.Response) -> bool:
            # A 429 was refused before doing anything, so repeating it is always safe.
            return response.status_code == 429 or (response.status_code >= 500 and may_repeat)

        def should_retry_error(error: BaseException) -> bool:
            if isinstance(error, _NOT_SENT_ERRORS):
                return True
            return may_repeat and isinstance(error, _TRANSIENT_ERRORS)

        def log_retry(state: RetryCallState) -> None:
            log.warning(
                "provider_request_retry",
                provider=self.name,
                method=request.method,
                path=path,
                attempt=state.attempt_number,
                wait_seconds=round(state.upcoming_sleep, 3),
                **_outcome_fields(state),
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.max_attempts),
            wait=self._wait_before_retry,
            retry=retry_if_result(should_retry_response) | retry_if_exception(should_retry_error),
            before_sleep=log_retry,
            retry_error_callback=_last_outcome,
        )
        response: httpx.Response = await retrying(self._send_once, request, path)
        return response

    async def _send_once(self, request: httpx.Request, path: str) -> httpx.Response:
        limiter = self._limiter_for(request.method, path)
        if limiter is None:
            return await self._http.send(request)
        async with limiter:
            return await self._http.send(request)

    def _limiter_for(self, method: str, path: str) -> AsyncLimiter | None:
        for rule, limiter in self._rate_limits:
            if rule.matches(method, path):
                return limiter
        return None

    def _wait_before_retry(self, state: RetryCallState) -> float:
        retry_after = _retry_after_seconds(state)
        if retry_after is not None:
            return min(retry_after, self._retry.max_retry_after)
        return self._backoff(state)


def raise_for_provider_status(response: httpx.Response, *, provider: str) -> None:
    """Raise ProviderError (ProviderUnavailable for 429 and 503) unless the provider answered 2xx.

    The error keeps the provider's status, error code and message, never our request.
    """
    if response.is_success:
        return
    raise _provider_error(provider, response)


def _provider_error(provider: str, response: httpx.Response) -> ProviderError:
    code, message = _provider_code_and_message(response)
    text = f"{provider} answered HTTP {response.status_code}"
    if message:
        text = f"{text}: {message[:_MAX_PROVIDER_MESSAGE_LENGTH]}"
    error_type = ProviderUnavailable if response.status_code in (429, 503) else ProviderError
    return error_type(
        text, provider=provider, provider_status=response.status_code, provider_code=code
    )


def _provider_code_and_message(response: httpx.Response) -> tuple[str | None, str | None]:
    """The error code and message from a Stripe (`{"error": {...}}`) or Pluggy error body."""
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    details = body["error"] if isinstance(body.get("error"), dict) else body
    # Pluggy's `code` is the HTTP status again; `codeDescription` is its stable error id.
    code = details.get("codeDescription") or details.get("code") or details.get("type")
    message = details.get("message")
    return (
        str(code) if code is not None else None,
        message if isinstance(message, str) else None,
    )


def _is_idempotent(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or IDEMPOTENCY_KEY_HEADER in request.headers


def _retry_after_seconds(state: RetryCallState) -> float | None:
    """The wait the provider asked for in Retry-After (seconds or an HTTP date), if any."""
    if state.outcome is None or state.outcome.failed:
        return None
    value = state.outcome.result().headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        retry_at = parsedate_to_datetime(value)
    except ValueError:
        return None
    if retry_at.tzinfo is None:
        retry_at = retry_at.replace(tzinfo=UTC)
    return max(0.0, (retry_at - datetime.now(UTC)).total_seconds())


def _last_outcome(state: RetryCallState) -> httpx.Response:
    """After the last attempt, hand back its response or raise its error."""
    assert state.outcome is not None
    response: httpx.Response = state.outcome.result()
    return response


def _outcome_fields(state: RetryCallState) -> dict[str, Any]:
    assert state.outcome is not None
    if state.outcome.failed:
        return {"error": type(state.outcome.exception()).__name__}
    return {"status": state.outcome.result().status_code}


def _outcome_of(response: httpx.Response) -> str:
    if response.status_code == 429:
        return "rate_limited"
    if response.status_code >= 400:
        return "client_error"
    return "success"
