"""/admin/health: every process ready or not, outbox backlogs, circuits, dead letters, and the
health of Pluggy's connectors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from console.config import ConsoleSettings
from console.errors import ServiceFailed, ServiceUnreachable
from console.health.service import connector_report, probe_all
from console.web import as_operator, render, services

router = APIRouter(prefix="/admin")


@router.get("/health")
async def health(request: Request) -> Response:
    settings: ConsoleSettings = request.app.state.settings
    processes = await probe_all(services(request).http, settings.health_urls)
    dead_letters: list[dict[str, Any]] | None
    try:
        dead_letters = (await as_operator(request, "GET", "/admin/dead-letters"))["items"]
    except (ServiceFailed, ServiceUnreachable):
        dead_letters = None  # the page still shows every process; the table says why not
    return render(
        request,
        "admin/health.html",
        processes=processes,
        dead_letters=dead_letters,
        connectors=connector_report(processes),
    )
