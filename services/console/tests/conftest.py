"""The console against services faked at the HTTP boundary (httpx.MockTransport): what it shows
when they answer, refuse or stay silent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.config import ConsoleSettings
from console.main import create_app

# The screenshots the browser tests saved in this run; listed at the end of the test output.
SAVED: list[Path] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for path in SAVED:
        terminalreporter.write_line(f"console screenshot: {path}")


Handler = Callable[[httpx.Request], httpx.Response]
SECRET = "test-console-secret-key-0123456789abcdef"


def settings(**overrides: object) -> ConsoleSettings:
    return ConsoleSettings(secret_key=SECRET, log_json=True, **overrides)  # type: ignore[arg-type]


@asynccontextmanager
async def console_with(handler: Handler) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the console, whose service calls `handler` answers."""
    app = create_app(settings(), transport=httpx.MockTransport(handler))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            yield client


def csrf_of(html: str) -> str:
    """The anti-forgery token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


async def logged_in(client: httpx.AsyncClient) -> None:
    """Log in through the form (the handler must answer billing's log-in)."""
    token = csrf_of((await client.get("/login")).text)
    answer = await client.post(
        "/login", data={"email": "ana@padaria.com.br", "password": "x", "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
