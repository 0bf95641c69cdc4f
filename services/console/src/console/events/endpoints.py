"""/admin/events: the list (refreshed by htmx), one event, replaying one or a filtered set."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from console.web import as_operator, csrf_protected, day_or_blank, render

router = APIRouter(prefix="/admin")
Protected = [Depends(csrf_protected)]
# The gateway keeps times in UTC; an operator's day is São Paulo's (UTC-3, no daylight saving).
DAY_STARTS = "T00:00:00-03:00"
PAGE = 50
# With text to find in the ids, this many of the newest matching events are searched.
SEARCHED = 500
# The gateway's listing pages hold at most this many events.
LISTING_LIMIT = 500


@dataclass(frozen=True)
class Filters:
    """What the operator filters on; text in `q` is looked for in both ids."""

    source: str = ""
    type: str = ""
    status: str = ""
    fate: str = ""
    day_from: str = ""
    day_to: str = ""
    q: str = ""

    def query(self) -> dict[str, Any]:
        """The gateway listing's parameters (all but `q`, which the console applies)."""
        params: dict[str, Any] = {
            "source": self.source,
            "type": self.type,
            "status": self.status,
            "fate": self.fate,
        }
        if self.day_from:
            params["received_from"] = _day(self.day_from).isoformat() + DAY_STARTS
        if self.day_to:
            params["received_to"] = (_day(self.day_to) + timedelta(days=1)).isoformat() + DAY_STARTS
        return params

    def encoded(self) -> str:
        return urlencode({key: value for key, value in asdict(self).items() if value})

    def matches(self, event: dict[str, Any]) -> bool:
        text = self.q.strip().lower()
        return not text or text in event["event_id"].lower() or text in event["id"].lower()


def _day(value: str) -> date:
    return date.fromisoformat(value)


def filters(
    source: Annotated[str, Query()] = "",
    type: Annotated[str, Query()] = "",
    status: Annotated[str, Query()] = "",
    fate: Annotated[str, Query()] = "",
    day_from: Annotated[str, Query()] = "",
    day_to: Annotated[str, Query()] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Filters:
    return Filters(
        source,
        type.strip(),
        status,
        fate,
        day_or_blank(day_from),
        day_or_blank(day_to),
        q.strip(),
    )


def form_filters(
    source: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    fate: Annotated[str, Form()] = "",
    day_from: Annotated[str, Form()] = "",
    day_to: Annotated[str, Form()] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Filters:
    return filters(source, type, status, fate, day_from, day_to, q)


EventFilters = Annotated[Filters, Depends(filters)]
FormFilters = Annotated[Filters, Depends(form_filters)]


async def _page(request: Request, chosen: Filters, cursor: str | None) -> dict[str, Any]:
    """One page of the listing; with text to find, the newest matching events searched."""
    limit = SEARCHED if chosen.q else PAGE
    page: dict[str, Any] = await as_operator(
        request,
        "GET",
        "/admin/events",
        params={**chosen.query(), "limit": limit, "cursor": cursor},
    )
    items = [event for event in page["items"] if chosen.matches(event)]
    return {"items": items, "next_cursor": page["next_cursor"]}


@router.get("")
async def operator_home() -> Response:
    return RedirectResponse("/admin/events", status_code=303)


@router.get("/events")
async def list_events(
    request: Request, chosen: EventFilters, cursor: str | None = None
) -> Response:
    page = await _page(request, chosen, cursor)
    return render(request, "admin/events.html", filters=chosen, page=page, cursor=cursor)


@router.get("/events/rows")
async def event_rows(request: Request, chosen: EventFilters, cursor: str | None = None) -> Response:
    """The list's rows alone: htmx polls it every few seconds, so new events appear."""
    page = await _page(request, chosen, cursor)
    return render(request, "admin/event_rows.html", filters=chosen, page=page, cursor=cursor)


@router.get("/events/{stored_id}")
async def show_event(request: Request, stored_id: str, replayed: int | None = None) -> Response:
    event = await as_operator(request, "GET", f"/admin/events/{stored_id}")
    return render(
        request, "admin/event.html", event=event, body=_pretty(event["body"]), replayed=replayed
    )


@router.post("/events/{stored_id}/replay", dependencies=Protected)
async def replay_event(request: Request, stored_id: str) -> Response:
    result = await as_operator(request, "POST", f"/admin/events/{stored_id}/replay")
    return RedirectResponse(
        f"/admin/events/{stored_id}?replayed={result['replayed']}", status_code=303
    )


@router.post("/events/replay", dependencies=Protected)
async def confirm_replay(request: Request, chosen: FormFilters) -> Response:
    """How many events the filter replays, and a button to do it."""
    routed = await _routed(request, chosen)
    return render(request, "admin/replay_confirm.html", filters=chosen, count=len(routed))


@router.post("/events/replay/confirmed", dependencies=Protected)
async def replay_events(request: Request, chosen: FormFilters) -> Response:
    """Replay the filtered set: through the gateway's filter, or one by one with text to find."""
    if chosen.q:
        replayed = 0
        for event in await _routed(request, chosen):
            result = await as_operator(request, "POST", f"/admin/events/{event['id']}/replay")
            replayed += result["replayed"]
    else:
        body = {key: value for key, value in chosen.query().items() if value}
        replayed = (await as_operator(request, "POST", "/admin/events/replay", json=body))[
            "replayed"
        ]
    return render(request, "admin/replay_done.html", filters=chosen, count=replayed)


async def _routed(request: Request, chosen: Filters) -> list[dict[str, Any]]:
    """Every event the filter selects that a replay publishes (not those the gateway ignores)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await as_operator(
            request,
            "GET",
            "/admin/events",
            params={**chosen.query(), "limit": LISTING_LIMIT, "cursor": cursor},
        )
        found += [e for e in page["items"] if e["status"] != "ignored" and chosen.matches(e)]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def _pretty(body: str) -> str:
    """The body indented when it is JSON, as received otherwise."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
