"""/app/transactions: the list with its filters, and a category change per transaction."""

from __future__ import annotations

from operator import itemgetter
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from console.web import as_user, csrf_protected, day_or_blank, render, services

router = APIRouter(prefix="/app/transactions")
Protected = [Depends(csrf_protected)]
PAGE = 50


@router.get("")
async def list_transactions(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    account_id: str = "",
    category_id: str = "",
    type: Annotated[str, Query(pattern="^(|CREDIT|DEBIT)$")] = "",
    date_from: str = "",
    date_to: str = "",
    cursor: str | None = None,
    changed: int | None = None,
) -> Response:
    banking = services(request).banking
    chosen = {
        "q": q.strip(),
        "account_id": account_id,
        "category_id": category_id,
        "type": type,
        "date_from": day_or_blank(date_from),
        "date_to": day_or_blank(date_to),
    }
    page = await as_user(
        request,
        banking,
        "GET",
        "/api/banking/transactions",
        params={**chosen, "cursor": cursor, "limit": PAGE},
    )
    accounts = await as_user(request, banking, "GET", "/api/banking/accounts")
    categories = await as_user(request, banking, "GET", "/api/banking/categories")
    return render(
        request,
        "app/transactions.html",
        page=page,
        filters=chosen,
        query=urlencode({key: value for key, value in chosen.items() if value}),
        accounts=accounts,
        categories=sorted(categories, key=itemgetter("name")),
        changed=changed,
    )


@router.post("/{transaction_id}/category", dependencies=Protected)
async def change_category(
    request: Request,
    transaction_id: str,
    category_id: Annotated[str, Form(min_length=1)],
    back: Annotated[str, Form()] = "",
    apply_to_similar: Annotated[str | None, Form()] = None,
) -> Response:
    """Recategorise; with "apply to similar", banking learns a rule for the others too."""
    result = await as_user(
        request,
        services(request).banking,
        "PATCH",
        f"/api/banking/transactions/{transaction_id}",
        json={
            "category_id": category_id,
            "create_rule": apply_to_similar == "yes",
            "apply_to_similar": apply_to_similar == "yes",
        },
    )
    changed = 1 + int(result.get("similar_updated") or 0) if isinstance(result, dict) else 1
    # Back to the same filtered list: a query string of our own list, never another site.
    query = back if back and "//" not in back else ""
    separator = "&" if query else ""
    return RedirectResponse(
        f"/app/transactions?{query}{separator}changed={changed}", status_code=303
    )
