"""A real Server-Sent Events client over a socket, and an app served by uvicorn on a free port
(the live stream's tests and the cross-service tests read /api/live/stream with it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: dict[str, Any]


class Stream:
    """The messages of one open SSE response, parsed as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.comments = 0
        self.cut = False
        self._messages: asyncio.Queue[Message | None] = asyncio.Queue()
        self._input = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            async for line in self.response.aiter_lines():
                self._input.set()
                if line.startswith(":"):
                    self.comments += 1
                elif line:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    fields[name] = f"{fields[name]}\n{value}" if name in fields else value
                elif "data" in fields:
                    message = Message(
                        fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])
                    )
                    await self._messages.put(message)
                    fields = {}
                else:
                    fields = {}
        except httpx.TransportError:
            self.cut = True  # the server dropped the connection mid-stream
        finally:
            await self._messages.put(None)

    async def next(self, within: float = 5.0) -> Message:
        """The next message; fails if none comes within `within` seconds or the stream closed."""
        async with asyncio.timeout(within):
            message = await self._messages.get()
        assert message is not None, "the stream closed"
        return message

    async def wait_for_input(self, within: float = 5.0) -> None:
        """Wait for the next line the server sends, whatever it is."""
        self._input.clear()
        async with asyncio.timeout(within):
            await self._input.wait()

    async def take(self, count: int, within: float = 5.0) -> list[Message]:
        return [await self.next(within) for _ in range(count)]

    async def closes(self, within: float = 5.0) -> None:
        """Wait for the server to end the response."""
        async with asyncio.timeout(within):
            await self._reader

    async def stop(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@asynccontextmanager
async def opened(
    base_url: str, token: str | None, last_event_id: int | str | None = None
) -> AsyncIterator[tuple[httpx.Response, Stream | None]]:
    """GET /api/live/stream: the response, and its stream when the answer is 200."""
    headers = {"Accept": "text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    timeout = httpx.Timeout(10.0, read=None)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=timeout) as client,
        client.stream("GET", "/api/live/stream", headers=headers) as response,
    ):
        if response.status_code != 200:
            await response.aread()
            yield response, None
            return
        stream = Stream(response)
        try:
            yield response, stream
        finally:
            await stream.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    """Serves inside the test's event loop; the test, not uvicorn, decides when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app served by uvicorn on a free port of this machine; its base URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    async with asyncio.timeout(10):
        while not server.started:
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listening.close()
