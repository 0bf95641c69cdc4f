"""/admin/dead-letters: the queues and their counts, a queue's letters, replay and drop."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from console.web import as_operator, csrf_protected, render

router = APIRouter(prefix="/admin/dead-letters")
Protected = [Depends(csrf_protected)]
MessageId = Annotated[str, Form(max_length=500)]


@router.get("")
async def list_queues(request: Request) -> Response:
    queues = (await as_operator(request, "GET", "/admin/dead-letters"))["items"]
    return render(request, "admin/dead_letters.html", queues=queues)


@router.get("/{queue}")
async def show_queue(
    request: Request, queue: str, replayed: int | None = None, dropped: int | None = None
) -> Response:
    letters = await as_operator(
        request, "GET", f"/admin/dead-letters/{quote(queue)}", params={"limit": 50}
    )
    return render(
        request,
        "admin/dead_letter_queue.html",
        queue=queue,
        letters=letters["items"],
        replayed=replayed,
        dropped=dropped,
    )


@router.post("/{queue}/replay", dependencies=Protected)
async def replay(request: Request, queue: str, message_id: MessageId = "") -> Response:
    """Back to the queue for a fresh round of attempts: one letter, or all with no id."""
    body = {"message_id": message_id or None}
    moved = await as_operator(
        request, "POST", f"/admin/dead-letters/{quote(queue)}/replay", json=body
    )
    return RedirectResponse(
        f"/admin/dead-letters/{quote(queue)}?replayed={moved['count']}", status_code=303
    )


@router.post("/{queue}/drop", dependencies=Protected)
async def confirm_drop(request: Request, queue: str, message_id: MessageId = "") -> Response:
    """Dropping deletes for good: a page that says what, and asks again."""
    return render(request, "admin/drop_confirm.html", queue=queue, message_id=message_id)


@router.post("/{queue}/drop/confirmed", dependencies=Protected)
async def drop(request: Request, queue: str, message_id: MessageId = "") -> Response:
    body = {"message_id": message_id or None}
    dropped = await as_operator(
        request, "POST", f"/admin/dead-letters/{quote(queue)}/drop", json=body
    )
    return RedirectResponse(
        f"/admin/dead-letters/{quote(queue)}?dropped={dropped['count']}", status_code=303
    )
