"""A service's error or silence is a clear page in Portuguese with a fitting status, never a 500
with a stack trace; sessions and forms are guarded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from console.connections.endpoints import STREAM_READ_TIMEOUT_SECONDS

from .conftest import console_with, csrf_of, logged_in

TOKENS = {
    "access_token": "access-1",
    "refresh_token": "refresh-1",
    "token_type": "bearer",
    "expires_in": 900,
    "access_token_expires_at": "2026-12-07T12:00:00Z",
}
ME = {"user": {"name": "Ana"}, "company": {"name": "Padaria Pão Quente"}}


def billing_login(request: httpx.Request) -> httpx.Response | None:
    """Billing's answers to a log-in, or None for any other call."""
    if request.url.path == "/api/auth/login":
        return httpx.Response(200, json=TOKENS)
    if request.url.path == "/api/companies/me":
        return httpx.Response(200, json=ME)
    return None


@pytest.mark.asyncio
async def test_a_failing_service_is_a_502_page_that_names_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return billing_login(request) or httpx.Response(
            500, json={"code": "internal_error", "message": "boom"}
        )

    async with console_with(handler) as client:
        await logged_in(client)
        page = await client.get("/app")

    assert page.status_code == 502
    assert "Serviço com falha" in page.text
    assert "bancos (banking)" in page.text
    assert "Traceback" not in page.text


@pytest.mark.asyncio
async def test_a_silent_service_is_a_503_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := billing_login(request)) is not None:
            return answer
        raise httpx.ConnectError("connection refused", request=request)

    async with console_with(handler) as client:
        await logged_in(client)
        page = await client.get("/app/transactions")

    assert page.status_code == 503
    assert "não respondeu" in page.text


@pytest.mark.asyncio
async def test_a_refusal_shows_the_services_reason_with_its_status() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/events":
            return httpx.Response(200, json={"items": [], "next_cursor": None})
        return httpx.Response(404, json={"code": "event_not_found", "message": "No such event."})

    async with console_with(handler) as client:
        token = csrf_of((await client.get("/admin/login")).text)
        await client.post("/admin/login", data={"token": "t" * 40, "csrf_token": token})
        page = await client.get("/admin/events/5f1d7c1e-0000-4000-8000-000000000000")

    assert page.status_code == 404
    assert "No such event." in page.text
    assert "event_not_found" in page.text


@pytest.mark.asyncio
async def test_an_answer_that_is_not_json_is_a_502_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return billing_login(request) or httpx.Response(200, text="<html>proxy</html>")

    async with console_with(handler) as client:
        await logged_in(client)
        page = await client.get("/app/subscription")

    assert page.status_code == 502


@pytest.mark.asyncio
async def test_a_refused_log_in_shows_the_form_again() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": "invalid_credentials", "message": "Wrong."})

    async with console_with(handler) as client:
        token = csrf_of((await client.get("/login")).text)
        page = await client.post(
            "/login", data={"email": "ana@padaria.com.br", "password": "x", "csrf_token": token}
        )

    assert page.status_code == 401
    assert "E-mail ou senha incorretos" in page.text
    assert 'value="ana@padaria.com.br"' in page.text


@pytest.mark.asyncio
async def test_an_expired_access_token_is_renewed_once_with_the_refresh_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.path} {request.headers.get('Authorization')}")
        if request.url.path == "/api/auth/refresh":
            return httpx.Response(200, json={**TOKENS, "access_token": "access-2"})
        if (answer := billing_login(request)) is not None:
            return answer
        if request.headers["Authorization"] == "Bearer access-1":
            return httpx.Response(401, json={"code": "token_expired", "message": "Expired."})
        return httpx.Response(200, json=[])

    async with console_with(handler) as client:
        await logged_in(client)
        page = await client.get("/app/connect")

    assert page.status_code == 200
    assert "/api/banking/connectors Bearer access-1" in seen
    assert "/api/banking/connectors Bearer access-2" in seen


@pytest.mark.asyncio
async def test_an_ended_log_in_goes_back_to_the_log_in_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if (answer := billing_login(request)) is not None:
            return answer
        return httpx.Response(401, json={"code": "session_revoked", "message": "Revoked."})

    async with console_with(handler) as client:
        await logged_in(client)
        page = await client.get("/app")
        again = await client.get("/app")

    assert (page.status_code, page.headers["location"]) == (303, "/login")
    assert (again.status_code, again.headers["location"]) == (303, "/login")


@pytest.mark.asyncio
async def test_pages_need_their_session() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no service is called without a session")

    async with console_with(handler) as client:
        company = await client.get("/app")
        operator = await client.get("/admin/events")
        polled = await client.get("/admin/events/rows", headers={"HX-Request": "true"})

    assert (company.status_code, company.headers["location"]) == (303, "/login")
    assert (operator.status_code, operator.headers["location"]) == (303, "/admin/login")
    assert (polled.status_code, polled.headers["HX-Redirect"]) == (204, "/admin/login")


@pytest.mark.asyncio
async def test_a_form_without_the_sessions_token_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("a forged form reaches no service")

    async with console_with(handler) as client:
        await client.get("/login")
        missing = await client.post("/login", data={"email": "a@b.c", "password": "x"})
        forged = await client.post(
            "/login", data={"email": "a@b.c", "password": "x", "csrf_token": "forged"}
        )

    assert missing.status_code == 403
    assert forged.status_code == 403
    assert "Formulário expirado" in forged.text


@pytest.mark.asyncio
async def test_bad_input_is_a_400_page_and_an_unknown_address_a_404_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/banking/transactions":
            return httpx.Response(200, json={"results": [], "next_cursor": None})
        return billing_login(request) or httpx.Response(200, json=[])

    async with console_with(handler) as client:
        await logged_in(client)
        bad_date = await client.get("/app/transactions?date_from=ontem")
        # A filter form sends its empty fields as empty strings.
        blank = await client.get("/app/transactions?q=&account_id=&type=&date_from=&date_to=")
        unknown = await client.get("/nowhere")

    assert (bad_date.status_code, blank.status_code, unknown.status_code) == (400, 200, 404)
    assert "Dados inválidos" in bad_date.text
    assert "Página não encontrada" in unknown.text


METRICS = """# TYPE outbox_backlog gauge
outbox_backlog 7.0
# TYPE outbox_oldest_age_seconds gauge
outbox_oldest_age_seconds 42.5
# TYPE provider_circuit_open gauge
provider_circuit_open{provider="pluggy"} 1.0
# TYPE worker_task_ready gauge
worker_task_ready{task="outbox-relay"} 1.0
"""


@pytest.mark.asyncio
async def test_the_health_page_shows_each_process_its_backlog_circuits_and_dead_letters() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.port == 8002:  # banking, in the default health targets
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ready", "checks": {"database": "ok"}})
        if request.url.path == "/metrics":
            return httpx.Response(200, text=METRICS)
        if request.url.path == "/admin/dead-letters":
            queue = {"queue": "billing.stripe", "dead_letter_queue": "billing.stripe.dlq"}
            depth = {"queue_messages": 1200, "consumers": 0, "messages": 3}
            return httpx.Response(200, json={"items": [{**queue, **depth}]})
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    async with console_with(handler) as client:
        token = csrf_of((await client.get("/admin/login")).text)
        await client.post("/admin/login", data={"token": "t" * 40, "csrf_token": token})
        page = await client.get("/admin/health")

    assert page.status_code == 200
    banking = page.text.split('data-process="banking"')[1].split("</tr>")[0]
    billing = page.text.split('data-process="billing-worker"')[1].split("</tr>")[0]
    assert "Fora do ar" in banking
    assert "Pronto" in billing
    assert ">7<" in billing
    assert "42,5 s" in billing
    assert "pluggy: aberto" in billing
    queue = page.text.split('data-queue="billing.stripe"')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in queue.split("</td>")[1:4]] == ["1.200", "0", "3"]


@pytest.mark.asyncio
async def test_a_filtered_replay_says_how_many_first_then_sends_the_gateway_the_filter() -> None:
    sent: list[tuple[str, str, bytes]] = []
    events = [
        {"id": f"5f1d7c1e-0000-4000-8000-00000000000{n}", "event_id": f"evt_{n}", "status": s}
        for n, s in enumerate(("published", "published", "ignored"))
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, str(request.url), request.content))
        if request.method == "GET":
            return httpx.Response(200, json={"items": events, "next_cursor": None})
        return httpx.Response(200, json={"replayed": 2})

    async with console_with(handler) as client:
        token = csrf_of((await client.get("/admin/login")).text)
        await client.post("/admin/login", data={"token": "t" * 40, "csrf_token": token})
        chosen = {"source": "stripe", "fate": "dead_lettered", "csrf_token": token}
        asked = await client.post("/admin/events/replay", data=chosen)
        sent.clear()
        done = await client.post("/admin/events/replay/confirmed", data=chosen)

    assert 'data-count="2"' in asked.text  # the ignored one is never replayed
    assert sent == [
        (
            "POST",
            "http://127.0.0.1:8003/admin/events/replay",
            b'{"source":"stripe","fate":"dead_lettered"}',
        )
    ]
    assert "2 evento(s) reenviado(s)" in done.text


@pytest.mark.asyncio
async def test_the_live_stream_is_relayed_with_a_renewed_token_once_the_old_one_expired() -> None:
    message = b'id: 7\nevent: item.status\ndata: {"status": "UPDATED"}\n\n'
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/refresh":
            return httpx.Response(200, json={**TOKENS, "access_token": "access-2"})
        if request.url.path == "/api/live/stream":
            asked.append(request.headers.get("Authorization"))
            if request.headers["Authorization"] == "Bearer access-1":
                return httpx.Response(401, json={"code": "token_expired", "message": "Expired."})
            return httpx.Response(
                200, content=message, headers={"Content-Type": "text/event-stream"}
            )
        return billing_login(request) or httpx.Response(404)

    async with console_with(handler) as client:
        await logged_in(client)
        relayed = await client.get("/app/stream")

    assert asked == ["Bearer access-1", "Bearer access-2"]
    assert relayed.headers["content-type"].startswith("text/event-stream")
    assert relayed.content == message


class _SilentAfter(httpx.AsyncByteStream):
    """A stream that sends `first`, then goes silent until the reader's timeout."""

    def __init__(self, first: bytes) -> None:
        self.first = first

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        raise httpx.ReadTimeout("no heartbeat")


@pytest.mark.asyncio
async def test_a_live_stream_silent_past_its_heartbeat_ends_and_the_browser_reconnects() -> None:
    message = b"id: 3\nevent: sync.finished\ndata: {}\n\n"
    read_timeouts: list[float | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/live/stream":
            read_timeouts.append(request.extensions["timeout"]["read"])
            return httpx.Response(
                200, stream=_SilentAfter(message), headers={"Content-Type": "text/event-stream"}
            )
        return billing_login(request) or httpx.Response(404)

    async with console_with(handler) as client:
        await logged_in(client)
        relayed = await client.get("/app/stream")

    assert relayed.status_code == 200
    assert relayed.content == message
    # Longer than live's longest heartbeat (LIVE_HEARTBEAT_SECONDS is 60 at most), not forever.
    assert read_timeouts == [STREAM_READ_TIMEOUT_SECONDS]
    assert STREAM_READ_TIMEOUT_SECONDS > 60


@pytest.mark.asyncio
async def test_the_live_stream_ends_for_good_once_the_log_in_has() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path in ("/api/live/stream", "/api/auth/refresh"):
            return httpx.Response(401, json={"code": "session_revoked", "message": "Revoked."})
        return billing_login(request) or httpx.Response(404)

    async with console_with(handler) as client:
        await logged_in(client)
        relayed = await client.get("/app/stream")

    assert relayed.status_code == 204
