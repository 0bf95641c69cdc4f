"""Every error answer is JSON with a stable code; validation errors never echo what was sent."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from finhub_dev.provisioning import ensure_database
from finhub_dev.testing import database_refusing_connections
from finhub_shared.db import Database
from finhub_shared.errors import Conflict, TooManyRequests, Unauthorized, install_error_handlers


class Registration(BaseModel):
    email: str
    password: str
    name: str


class EmailTaken(Conflict):
    code = "email_taken"


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/register")
    async def register(registration: Registration) -> dict[str, str]:
        raise EmailTaken("This email is already registered.", field="email")

    @app.get("/slow-down")
    async def slow_down() -> None:
        raise TooManyRequests("Too many attempts.", retry_after_seconds=42)

    @app.get("/private")
    async def private() -> None:
        raise Unauthorized("Log in first.")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.mark.asyncio
async def test_a_domain_error_carries_its_status_code_message_and_extras(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/register", json={"email": "a@b.co", "password": "pw", "name": "Ana"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "email_taken",
        "message": "This email is already registered.",
        "field": "email",
    }


@pytest.mark.asyncio
async def test_a_validation_error_has_a_code_and_never_echoes_the_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/register", json={"email": "a@b.co", "password": "hunter2-secret"}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert [problem["loc"] for problem in body["detail"]] == [["body", "name"]]
    assert "hunter2-secret" not in response.text


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.asyncio
async def test_rate_limits_say_when_to_come_back(client: httpx.AsyncClient) -> None:
    response = await client.get("/slow-down")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"


@pytest.mark.asyncio
async def test_unauthorized_names_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    response = await client.get("/private")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.asyncio
async def test_a_wrong_method_is_json_too(client: httpx.AsyncClient) -> None:
    response = await client.delete("/register")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.asyncio
async def test_a_database_that_refuses_connections_is_a_503_to_retry_not_a_500() -> None:
    url = os.environ["SHARED_DATABASE_URL"]
    await ensure_database(os.environ["POSTGRES_ADMIN_URL"], url)
    database = Database(url, application_name="tests-errors")
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/balance")
    async def balance() -> int:
        async with database.transaction() as session:
            return int((await session.execute(text("SELECT 42"))).scalar_one())

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            before = await http.get("/balance")
            async with database_refusing_connections(url):
                during = await http.get("/balance")
            after = await http.get("/balance")
    finally:
        await database.dispose()

    assert (before.status_code, before.json()) == (200, 42)
    assert during.status_code == 503
    assert during.json()["code"] == "database_unavailable"
    assert during.headers["Retry-After"] == "5"
    assert "tests-errors" not in during.text
    assert "127.0.0.1" not in during.text
    assert (after.status_code, after.json()) == (200, 42)


@pytest.mark.asyncio
async def test_a_refused_connection_is_a_503_naming_no_host() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/quote")
    async def quote() -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('10.1.2.3', 5432)")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/quote")

    assert response.status_code == 503
    assert response.json()["code"] == "dependency_unavailable"
    assert "10.1.2.3" not in response.text
