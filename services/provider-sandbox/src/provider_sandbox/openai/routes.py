"""An OpenAI-compatible chat completions API, mounted under `/openai`: what a service that has
a language model write text talks to in development and tests.

- `POST /v1/chat/completions` answers as OpenAI does (`choices[0].message.content`, `usage`),
  for any bearer key starting with `sk-` (OpenAI's 401 otherwise, and its 400 for a malformed
  request). The text is the next scripted answer's, else `DEFAULT_REPLY`.
- control under `/_sandbox`: `GET /requests` lists every request received (its body, and
  whether its key was accepted), `POST /answers` scripts the next answers (a text, an error
  status or a delay), `POST /reset` forgets both. In process, `app.state.openai` holds the same.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MOUNT_PATH = "/openai"
KEY_PREFIX = "sk-"
DEFAULT_REPLY = "Resumo do mês escrito pelo modelo do sandbox."


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[Any] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)


class ScriptedAnswer(BaseModel):
    """One answer to give: a text (200), or an error status; after a delay, either way."""

    content: str | None = None
    status: int = Field(200, ge=200, le=599)
    delay_seconds: float = Field(0, ge=0, le=120)


class ScriptedAnswers(BaseModel):
    answers: list[ScriptedAnswer] = Field(min_length=1)


@dataclass(frozen=True)
class ReceivedRequest:
    """A chat completions request as the sandbox received it."""

    body: Any
    key_accepted: bool


@dataclass
class OpenAISandbox:
    """What the stand-in remembers: the requests it received, the answers scripted ahead."""

    received: list[ReceivedRequest] = field(default_factory=list)
    script: list[ScriptedAnswer] = field(default_factory=list)

    def bodies(self) -> list[Any]:
        """The body of every request received, oldest first."""
        return [request.body for request in self.received]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Give the app its OpenAI stand-in's state (`app.state.openai`)."""
    app.state.openai = OpenAISandbox()
    yield


def get_state(request: Request) -> OpenAISandbox:
    """The app's OpenAI stand-in (a FastAPI dependency)."""
    state: OpenAISandbox = request.app.state.openai
    return state


State = Annotated[OpenAISandbox, Depends(get_state)]
router = APIRouter(lifespan=lifespan, tags=["OpenAI-compatible API"])


def _error(status: int, message: str, kind: str, code: str | None) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def _key_accepted(request: Request) -> bool:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and key.startswith(KEY_PREFIX) and len(key) > len(KEY_PREFIX)


def _tokens(text: str) -> int:
    # Roughly OpenAI's count: a token is about three quarters of a word.
    return max(1, round(len(text.split()) * 4 / 3))


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(request: Request, state: State) -> JSONResponse:
    """A chat completion: the next scripted answer, or `DEFAULT_REPLY`."""
    raw = await request.body()
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")
    accepted = _key_accepted(request)
    state.received.append(ReceivedRequest(body=body, key_accepted=accepted))
    if not accepted:
        return _error(
            401,
            "Incorrect API key provided. You can find your API key in your account settings.",
            "invalid_request_error",
            "invalid_api_key",
        )
    try:
        chat = ChatRequest.model_validate(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        return _error(
            400, f"Invalid request at {where}: {problem['msg']}.", "invalid_request_error", None
        )
    answer = state.script.pop(0) if state.script else ScriptedAnswer()
    if answer.delay_seconds:
        await asyncio.sleep(answer.delay_seconds)
    if answer.status != 200:
        return _error(
            answer.status, "The server had an error processing your request.", "server_error", None
        )
    reply = answer.content if answer.content is not None else DEFAULT_REPLY
    prompt = " ".join(m.content for m in chat.messages if isinstance(m.content, str))
    prompt_tokens, completion_tokens = _tokens(prompt), _tokens(reply)
    return JSONResponse(
        {
            "id": f"chatcmpl-{secrets.token_hex(12)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": None,
        }
    )


@router.get("/_sandbox/requests", tags=["OpenAI sandbox control"])
async def received_requests(state: State) -> list[dict[str, Any]]:
    """Every chat completions request received, oldest first."""
    return [{"body": r.body, "key_accepted": r.key_accepted} for r in state.received]


@router.post("/_sandbox/answers", status_code=204, tags=["OpenAI sandbox control"])
async def script_answers(scripted: ScriptedAnswers, state: State) -> Response:
    """Give these answers to the next requests, in turn (then `DEFAULT_REPLY` again)."""
    state.script.extend(scripted.answers)
    return Response(status_code=204)


@router.post("/_sandbox/reset", status_code=204, tags=["OpenAI sandbox control"])
async def reset(state: State) -> Response:
    """Forget the requests received and the answers scripted."""
    state.received.clear()
    state.script.clear()
    return Response(status_code=204)
