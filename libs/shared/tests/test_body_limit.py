"""The request body limit: one for every route, a larger one only where a route takes files."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from finhub_shared.body_limit import install_body_limit
from finhub_shared.errors import install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/notes")
    @app.post("/uploads/{name}")
    @app.post("/uploads/{name}/copies")
    async def read(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    install_body_limit(app, 10, {r"/uploads/[^/]+": 100})
    return app


async def _post(path: str, size: int) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.post(path, content=b"x" * size)


@pytest.mark.asyncio
async def test_an_ordinary_route_refuses_a_body_over_the_common_limit() -> None:
    response = await _post("/notes", 11)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "10 bytes" in response.json()["message"]


@pytest.mark.asyncio
async def test_a_route_with_a_larger_limit_reads_a_body_up_to_it_and_no_further() -> None:
    accepted = await _post("/uploads/contract.pdf", 100)
    refused = await _post("/uploads/contract.pdf", 101)

    assert accepted.json() == {"read": 100}
    assert refused.status_code == 413
    assert "100 bytes" in refused.json()["message"]


@pytest.mark.asyncio
async def test_the_larger_limit_needs_the_whole_path_to_match() -> None:
    response = await _post("/uploads/contract.pdf/copies", 11)

    assert response.status_code == 413
