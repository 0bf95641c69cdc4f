"""/app/connect and /app/connections/{id}, with /app/stream relaying the user's live stream.

In development the connect form stands in for Pluggy's Connect widget: like the widget, it sends
the bank log-in to Pluggy (PLUGGY_API_URL: the sandbox's) with banking's connect token, then tells
banking the new item's id. The credentials pass through, never kept or logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from console.errors import LoginRequired, ServiceFailed
from console.web import as_user, csrf_protected, refreshed_token, render, services

# Live sends at least a heartbeat every LIVE_HEARTBEAT_SECONDS (60 at most): a stream silent for
# longer is dead (a half-open connection), and ending it has the browser's EventSource reconnect.
STREAM_READ_TIMEOUT_SECONDS = 75.0

router = APIRouter(prefix="/app")
Protected = [Depends(csrf_protected)]


@router.get("/connect")
async def connect_page(request: Request, error: str | None = None) -> Response:
    banking = services(request).banking
    connectors = await as_user(request, banking, "GET", "/api/banking/connectors")
    items = await as_user(request, banking, "GET", "/api/banking/items")
    return render(request, "app/connect.html", connectors=connectors, items=items, error=error)


@router.post("/connect", dependencies=Protected)
async def connect(
    request: Request,
    connector_id: Annotated[int, Form()],
    user: Annotated[str, Form(min_length=1, max_length=200)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    """What Pluggy's widget does: the log-in to Pluggy with a connect token, then banking's
    callback; on to the connection's page, where its progress shows live."""
    banking = services(request).banking
    token = await as_user(request, banking, "POST", "/api/banking/pluggy/connect-token", json={})
    try:
        item = await services(request).pluggy.call(
            "POST",
            "/items",
            headers={"X-API-KEY": token["connect_token"]},
            json={"connectorId": connector_id, "parameters": {"user": user, "password": password}},
        )
    except ServiceFailed as error:
        if error.status_code >= 500:
            raise
        return await connect_page(request, error=error.message)
    connection = await as_user(
        request, banking, "POST", "/api/banking/pluggy/callback", json={"item_id": item["id"]}
    )
    return RedirectResponse(f"/app/connections/{connection['id']}", status_code=303)


@router.get("/connections/{item_id}")
async def connection_page(request: Request, item_id: str) -> Response:
    item = await _item(request, item_id)
    return render(request, "app/connection.html", item=item)


@router.get("/connections/{item_id}/state")
async def connection_state(request: Request, item_id: str) -> Response:
    """The connection's status and, when the bank asks, its MFA form (refreshed on each event)."""
    item = await _item(request, item_id)
    return render(request, "app/connection_state.html", item=item)


@router.post("/connections/{item_id}/mfa", dependencies=Protected)
async def answer_mfa(
    request: Request,
    item_id: str,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    answer: Annotated[str, Form(min_length=1, max_length=200)],
) -> Response:
    await as_user(
        request,
        services(request).banking,
        "POST",
        f"/api/banking/items/{item_id}/mfa",
        json={"parameters": {name: answer}},
    )
    return RedirectResponse(f"/app/connections/{item_id}", status_code=303)


async def _item(request: Request, item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = await as_user(
        request, services(request).banking, "GET", f"/api/banking/items/{item_id}"
    )
    return item


@router.get("/stream")
async def stream(request: Request) -> Response:
    """The user's live stream, relayed as it comes (the token stays in the console's cookie)."""
    token = request.session.get("access_token")
    if not isinstance(token, str):
        raise LoginRequired
    response = await _open_stream(request, token)
    if response is not None and response.status_code == 401:
        # The access token expired (the stream ended with token_expired): once more, renewed.
        await response.aclose()
        try:
            token = await refreshed_token(request)
        except LoginRequired:
            return Response(status_code=204)  # the log-in has ended: the browser stops asking
        response = await _open_stream(request, token)
    if response is None:
        return Response(status_code=503)
    if response.status_code != 200:
        await response.aclose()
        # EventSource retries on its own; a refused log-in ends it (204 stops the browser).
        return Response(status_code=204 if response.status_code == 401 else 503)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.HTTPError:
            return
        finally:
            await response.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _open_stream(request: Request, token: str) -> httpx.Response | None:
    """The live stream's response, its body still to read; None when live did not answer."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last := request.headers.get("Last-Event-ID"):
        headers["Last-Event-ID"] = last
    http = services(request).http
    upstream = http.build_request(
        "GET",
        services(request).live_url.rstrip("/") + "/api/live/stream",
        headers=headers,
        timeout=httpx.Timeout(10.0, read=STREAM_READ_TIMEOUT_SECONDS),
    )
    try:
        return await http.send(upstream, stream=True)
    except httpx.HTTPError:
        return None
