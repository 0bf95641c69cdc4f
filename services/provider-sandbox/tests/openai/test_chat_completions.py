"""The OpenAI-compatible stand-in: OpenAI's answer shape, its key check and errors, and the
control API that lets a test script answers and read what was received."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from provider_sandbox.main import create_app
from provider_sandbox.openai.routes import DEFAULT_REPLY, OpenAISandbox

pytestmark = pytest.mark.asyncio

KEY = "sk-test-key"
CHAT = {
    "model": "gpt-test",
    "messages": [
        {"role": "system", "content": "Resuma."},
        {"role": "user", "content": "entradas R$ 10,00"},
    ],
}


@pytest_asyncio.fixture
async def sandbox_app() -> AsyncIterator[FastAPI]:
    app = create_app(webhook_transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    async with LifespanManager(app):
        yield app


@pytest_asyncio.fixture
async def http(sandbox_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver/openai"
    ) as client:
        yield client


def bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_answers_a_chat_completion_as_openai_does(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", json=CHAT, headers=bearer())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-test"
    assert body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": DEFAULT_REPLY,
        "refusal": None,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


@pytest.mark.parametrize("headers", [{}, bearer("not-a-key"), {"Authorization": f"Basic {KEY}"}])
async def test_refuses_a_request_without_a_bearer_key(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.post("/v1/chat/completions", json=CHAT, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    "body",
    [
        {"messages": CHAT["messages"]},
        {"model": "gpt-test", "messages": []},
        {"model": "gpt-test", "messages": [{"role": "robot", "content": "oi"}]},
        ["not", "an", "object"],
    ],
)
async def test_a_malformed_request_is_openais_400(http: httpx.AsyncClient, body: Any) -> None:
    response = await http.post("/v1/chat/completions", json=body, headers=bearer())

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", content=b"{oops", headers=bearer())

    assert response.status_code == 400


async def test_scripted_answers_come_in_turn_then_the_default(http: httpx.AsyncClient) -> None:
    scripted = {"answers": [{"content": "Primeira."}, {"status": 503}]}
    assert (await http.post("/_sandbox/answers", json=scripted)).status_code == 204

    first = await http.post("/v1/chat/completions", json=CHAT, headers=bearer())
    second = await http.post("/v1/chat/completions", json=CHAT, headers=bearer())
    third = await http.post("/v1/chat/completions", json=CHAT, headers=bearer())

    assert first.json()["choices"][0]["message"]["content"] == "Primeira."
    assert second.status_code == 503
    assert second.json()["error"]["type"] == "server_error"
    assert third.json()["choices"][0]["message"]["content"] == DEFAULT_REPLY


async def test_a_scripted_delay_holds_the_answer(http: httpx.AsyncClient) -> None:
    await http.post("/_sandbox/answers", json={"answers": [{"delay_seconds": 5}]})

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await http.post("/v1/chat/completions", json=CHAT, headers=bearer())


async def test_tests_read_every_request_received_and_reset_forgets_them(
    http: httpx.AsyncClient, sandbox_app: FastAPI
) -> None:
    await http.post("/v1/chat/completions", json=CHAT, headers=bearer())
    await http.post("/v1/chat/completions", json=CHAT, headers=bearer("wrong"))

    received = (await http.get("/_sandbox/requests")).json()
    assert received == [
        {"body": CHAT, "key_accepted": True},
        {"body": CHAT, "key_accepted": False},
    ]
    state: OpenAISandbox = sandbox_app.state.openai
    assert state.bodies() == [CHAT, CHAT]

    await http.post("/_sandbox/answers", json={"answers": [{"content": "x"}]})
    assert (await http.post("/_sandbox/reset")).status_code == 204
    assert (await http.get("/_sandbox/requests")).json() == []
    reply = await http.post("/v1/chat/completions", json=CHAT, headers=bearer())
    assert reply.json()["choices"][0]["message"]["content"] == DEFAULT_REPLY


async def test_scripting_no_answer_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/answers", json={"answers": []})

    assert response.status_code == 422
