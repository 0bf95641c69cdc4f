import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from billing.config import get_settings


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Apps started after this look for news every 50 ms, so a stream's end shows at once."""
    monkeypatch.setenv("BILLING_NOTIFICATION_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest_asyncio.fixture
async def served_app(app: FastAPI) -> AsyncIterator[str]:
    """The app behind a real HTTP server, since an in-process client waits for the body's end."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
