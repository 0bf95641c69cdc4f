"""Drive the sandbox's Pluggy half in process, for tests (ours, and services' that call Pluggy).

`running_pluggy()` starts the whole sandbox app with its clock frozen, an API key, and a webhook
registered for every event (with a secret header); every webhook is caught at the HTTP boundary
by a `Receiver` instead of leaving the process. `Pluggy` is a client with helpers to connect
items and move time, and `reset()` to start over between tests.

`Wire` is the transport a service's Pluggy client gets in its tests: the sandbox app behind it,
every request recorded, and failures a test scripts answered (or raised, as the network would)
before they reach the sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from provider_sandbox.config import get_settings
from provider_sandbox.main import create_app
from provider_sandbox.pluggy.lifespan import MOUNT_PATH

BASE_URL = "http://127.0.0.1:8010/pluggy"
HOOK_URL = "http://gateway.test/webhooks/pluggy"
HOOK_SECRET = "hook-secret-registered-with-pluggy"

# A scripted answer, or a network failure (a refused connection, a timeout) the transport raises.
Answer = httpx.Response | httpx.TransportError


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as the receiver saw it."""

    url: str
    headers: httpx.Headers
    payload: dict[str, Any]


@dataclass
class Receiver:
    """Every URL the sandbox posts webhooks to; answers 200 once the statuses that `answers`
    holds for the URL (a failing endpoint) have been used up."""

    deliveries: list[Delivery] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        self.deliveries.append(Delivery(str(request.url), request.headers, payload))
        queued = self.answers.get(str(request.url))
        return httpx.Response(queued.pop(0) if queued else 200)


@dataclass
class Pluggy:
    """A client of the sandbox's Pluggy API with a valid API key, and its control API."""

    app: FastAPI
    http: httpx.AsyncClient
    receiver: Receiver

    async def authenticate(self) -> None:
        """Get a new API key (one lasts two hours of sandbox time) for every later call."""
        settings = get_settings()
        credentials = {
            "clientId": settings.pluggy_client_id,
            "clientSecret": settings.pluggy_client_secret.get_secret_value(),
        }
        response = await self.http.post("/auth", json=credentials)
        assert response.status_code == 200, response.text
        self.http.headers["X-API-KEY"] = response.json()["apiKey"]

    async def advance(self, **delta: float) -> None:
        """Move the sandbox clock (`seconds=`, `minutes=`, ...) and wait for the webhooks sent.

        Renews the API key afterwards, as a client would once its key expired.
        """
        response = await self.http.post("/_sandbox/advance", json=delta)
        assert response.status_code == 200, response.text
        await self.app.state.webhooks.drain()
        await self.authenticate()

    async def events(self, url: str = HOOK_URL) -> list[dict[str, Any]]:
        """The payloads delivered to `url` so far, in delivery order."""
        await self.app.state.webhooks.drain()
        return [d.payload for d in self.receiver.deliveries if d.url == url]

    async def event_names(self, url: str = HOOK_URL) -> list[str]:
        """The event names delivered to `url` so far."""
        return [payload["event"] for payload in await self.events(url)]

    async def create_item(self, user: str = "user-ok", connector_id: int = 0, **extra: Any) -> str:
        """A new item's id (its execution has only started)."""
        parameters = {"user": user, "password": "password-ok", **extra.pop("parameters", {})}
        body = {"connectorId": connector_id, "parameters": parameters, **extra}
        response = await self.http.post("/items", json=body)
        assert response.status_code == 200, response.text
        item_id: str = response.json()["id"]
        return item_id

    async def connect(self, user: str = "user-ok", connector_id: int = 0) -> dict[str, Any]:
        """A new item, run to the end of its first execution."""
        item_id = await self.create_item(user, connector_id)
        await self.advance(minutes=1)
        return await self.item(item_id)

    async def item(self, item_id: str) -> dict[str, Any]:
        """GET /items/{id}."""
        response = await self.http.get(f"/items/{item_id}")
        assert response.status_code == 200, response.text
        item: dict[str, Any] = response.json()
        return item

    async def accounts(self, item_id: str) -> list[dict[str, Any]]:
        """GET /accounts?itemId= results."""
        response = await self.http.get("/accounts", params={"itemId": item_id})
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    async def checking_account_id(self, item_id: str) -> str:
        """The id of the item's checking account."""
        accounts = await self.accounts(item_id)
        account_id: str = next(a["id"] for a in accounts if a["subtype"] == "CHECKING_ACCOUNT")
        return account_id

    async def all_transactions(self, query: str) -> tuple[list[dict[str, Any]], int]:
        """Follow `/v2/transactions{query}` and each `next` to the end: results, page count."""
        results: list[dict[str, Any]] = []
        pages = 0
        next_query: str | None = query
        while next_query:
            response = await self.http.get(f"/v2/transactions{next_query}")
            assert response.status_code == 200, response.text
            body = response.json()
            results.extend(body["results"])
            pages += 1
            next_query = body["next"]
        return results, pages

    async def reset(self) -> None:
        """Start over: a fresh sandbox, frozen clock, new API key, the catch-all webhook."""
        await self.app.state.webhooks.drain()
        assert (await self.http.post("/_sandbox/reset")).status_code == 200
        assert (await self.http.post("/_sandbox/clock", json={"frozen": True})).status_code == 200
        self.receiver.deliveries.clear()
        self.receiver.answers.clear()
        await self.authenticate()
        hook = {"url": HOOK_URL, "event": "all", "headers": {"X-Webhook-Secret": HOOK_SECRET}}
        assert (await self.http.post("/webhooks", json=hook)).status_code == 201


@dataclass
class _Script:
    method: str
    path_pattern: str
    answers: list[Answer]
    # Matching requests let through to the sandbox before the answers start.
    passes: int = 0
    # Give the last answer for ever once the others are used.
    sticky: bool = False


class Wire(httpx.AsyncBaseTransport):
    """The sandbox app as a transport: records each request (`requests`, `calls`) and answers
    the ones a test scripted (`answer_next`, `answer_after`) instead of the sandbox, or raises
    the network failure scripted for them.

    Paths are Pluggy's, without the sandbox's `/pluggy` mount; patterns match whole paths.
    """

    def __init__(self, app: FastAPI) -> None:
        self._sandbox = httpx.ASGITransport(app=app)
        self._scripts: list[_Script] = []
        self.requests: list[httpx.Request] = []

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request, in order."""
        return [(request.method, _pluggy_path(request)) for request in self.requests]

    def calls_to(self, method: str, path_pattern: str) -> int:
        """How many requests matched `method` and the path pattern."""
        return sum(1 for m, path in self.calls if m == method and re.fullmatch(path_pattern, path))

    def sent_to(self, path: str) -> list[httpx.Request]:
        """The requests sent to exactly `path`."""
        return [request for request in self.requests if _pluggy_path(request) == path]

    def answer_next(self, method: str, path_pattern: str, *answers: Answer) -> None:
        """Answer the next requests matching `method` and the path with these, in turn."""
        self._scripts.append(_Script(method, path_pattern, list(answers)))

    def answer_after(self, method: str, path_pattern: str, passes: int, answer: Answer) -> None:
        """Let `passes` matching requests through, then answer `answer` until `forget_answers()`."""
        self._scripts.append(_Script(method, path_pattern, [answer], passes=passes, sticky=True))

    def forget_answers(self) -> None:
        """Drop every scripted answer: the sandbox answers everything again."""
        self._scripts.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        scripted = self._scripted(request.method, _pluggy_path(request))
        if isinstance(scripted, httpx.TransportError):
            raise scripted
        if scripted is not None:
            return httpx.Response(
                scripted.status_code, headers=scripted.headers, content=scripted.content
            )
        return await self._sandbox.handle_async_request(request)

    def _scripted(self, method: str, path: str) -> Answer | None:
        for script in self._scripts:
            if script.method not in ("*", method) or not re.fullmatch(script.path_pattern, path):
                continue
            if script.passes > 0:
                script.passes -= 1
                return None
            if script.sticky:
                return script.answers[0]
            answer = script.answers.pop(0)
            if not script.answers:
                self._scripts.remove(script)
            return answer
        return None


def _pluggy_path(request: httpx.Request) -> str:
    return request.url.path.removeprefix(MOUNT_PATH)


@asynccontextmanager
async def running_pluggy() -> AsyncIterator[Pluggy]:
    """The sandbox app in process, ready as `Pluggy.reset()` leaves it; `reset()` between tests.

    One app serves many tests: building a FastAPI app's routes takes longer than a test.
    """
    receiver = Receiver()
    app = create_app(webhook_transport=httpx.MockTransport(receiver.handle))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            pluggy = Pluggy(app, http, receiver)
            await pluggy.reset()
            yield pluggy
