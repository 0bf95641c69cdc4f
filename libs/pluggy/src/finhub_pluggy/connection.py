"""An authenticated connection to Pluggy's API, over the shared provider client.

`POST /auth` with the client id and secret gives an API key that lives two hours; it is sent as
`X-API-KEY`, renewed shortly before it expires, and renewed at once when Pluggy refuses it (a key
revoked early), the refused request being sent once more. Neither the secret nor the key ever
reaches a log line or an error.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Self

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from finhub_pluggy.rate_limits import PLUGGY_RATE_LIMITS
from finhub_shared.errors import ProviderError
from finhub_shared.provider_client import (
    IDEMPOTENCY_KEY_HEADER,
    CircuitBreakerPolicy,
    ProviderClient,
    RetryPolicy,
    raise_for_provider_status,
)

PROVIDER = "pluggy"
API_KEY_HEADER = "X-API-KEY"
API_KEY_LIFETIME_SECONDS = 2 * 60 * 60
# Renew the key this long before Pluggy would refuse it, so no call races the expiry.
API_KEY_RENEWAL_MARGIN_SECONDS = 10 * 60
DEFAULT_RETRY = RetryPolicy()
DEFAULT_BREAKER = CircuitBreakerPolicy()
# How long one attempt may wait on Pluggy (to connect, send, read), retries aside.
DEFAULT_TIMEOUT_SECONDS = 30.0


class _AuthAnswer(BaseModel):
    """The part of `POST /auth`'s answer we use."""

    model_config = ConfigDict(frozen=True)

    api_key: str = Field(alias="apiKey")


class PluggyConnection:
    """One process's authenticated connection to Pluggy; open it once, close it on exit."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        breaker: CircuitBreakerPolicy = DEFAULT_BREAKER,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = ProviderClient(
            PROVIDER,
            base_url,
            timeout=timeout,
            retry=retry,
            breaker=breaker,
            rate_limits=PLUGGY_RATE_LIMITS,
            transport=transport,
        )
        self._clock = clock
        self._api_key: str | None = None
        self._api_key_renew_at = 0.0
        self._auth_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        repeatable: bool = False,
    ) -> httpx.Response:
        """Send one authenticated request and return any answer below 500 (see ProviderClient).

        `repeatable` marks a request whose repetition is harmless, so it is retried like a GET.
        If Pluggy refuses the key, the key is renewed and the request sent once more.
        """
        # One idempotency key for both sends: a refused first send had no effect to repeat.
        headers = {IDEMPOTENCY_KEY_HEADER: str(uuid.uuid4())} if repeatable else {}

        async def send(api_key: str) -> httpx.Response:
            return await self._http.request(
                method, path, params=params, json=json, headers={**headers, API_KEY_HEADER: api_key}
            )

        api_key = await self._current_api_key()
        response = await send(api_key)
        if not _key_refused(response):
            return response
        return await send(await self._current_api_key(rejected=api_key))

    async def _current_api_key(self, rejected: str | None = None) -> str:
        """A valid API key; a new one when there is none, it is due, or Pluggy `rejected` it."""
        async with self._auth_lock:
            # Another caller may have renewed the key while this one waited for the lock.
            stale = self._api_key is None or self._api_key == rejected
            if stale or self._clock() >= self._api_key_renew_at:
                self._api_key = await self._authenticate()
                self._api_key_renew_at = (
                    self._clock() + API_KEY_LIFETIME_SECONDS - API_KEY_RENEWAL_MARGIN_SECONDS
                )
            assert self._api_key is not None
            return self._api_key

    async def _authenticate(self) -> str:
        """A new API key from `POST /auth`."""
        body = {
            "clientId": self._client_id,
            "clientSecret": self._client_secret.get_secret_value(),
        }
        # POST /auth creates nothing, so repeating it after a 5xx is safe.
        response = await self._http.post(
            "/auth", json=body, headers={IDEMPOTENCY_KEY_HEADER: str(uuid.uuid4())}
        )
        raise_for_provider_status(response, provider=PROVIDER)
        try:
            return _AuthAnswer.model_validate_json(response.content).api_key
        except ValidationError:
            raise ProviderError(
                f"{PROVIDER} answered /auth without an API key", provider=PROVIDER
            ) from None


def _key_refused(response: httpx.Response) -> bool:
    """Whether Pluggy refused the API key: 401, or the 403 of its NotAuthenticatedResponse
    (`{code, message}` without a `codeDescription`, unlike its other 403s)."""
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "codeDescription" not in body
