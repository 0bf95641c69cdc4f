"""Fixtures for the Pluggy half: the sandbox in process, its webhooks caught at the HTTP edge."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from provider_sandbox.pluggy.testing import Pluggy, running_pluggy


@pytest_asyncio.fixture(scope="session")
async def running_sandbox() -> AsyncIterator[Pluggy]:
    """One sandbox app for the whole run (building an app's routes is slow)."""
    async with running_pluggy() as sandbox:
        yield sandbox


@pytest_asyncio.fixture
async def pluggy(running_sandbox: Pluggy) -> Pluggy:
    """The sandbox, started over: frozen clock, new API key, the catch-all webhook."""
    await running_sandbox.reset()
    return running_sandbox
