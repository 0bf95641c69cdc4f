"""What every Stripe route shares: the API key check, parsed parameters, expansion and lists."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from provider_sandbox.stripe.errors import StripeApiError, invalid_param
from provider_sandbox.stripe.forms import (
    Params,
    optional_int,
    optional_list,
    optional_str,
    parse_form,
)
from provider_sandbox.stripe.ids import new_id
from provider_sandbox.stripe.state import RequestInfo, StripeObject, StripeState, snapshot

TEST_KEY_PREFIX = "sk_test_"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10


def stripe_state(request: Request) -> StripeState:
    """The app's Stripe state (a FastAPI dependency)."""
    state: StripeState = request.app.state.stripe
    return state


State = Annotated[StripeState, Depends(stripe_state)]


async def require_api_key(request: Request) -> None:
    """Accept any `sk_test_` key, sent as Bearer (the stripe package) or Basic (curl -u)."""
    key = _api_key(request.headers.get("authorization", ""))
    if key is None:
        raise StripeApiError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if not key.startswith(TEST_KEY_PREFIX) or len(key) <= len(TEST_KEY_PREFIX):
        raise StripeApiError(401, f"Invalid API Key provided: {_masked(key)}")


def _api_key(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return None


def _masked(key: str) -> str:
    # Stripe shows only the last four characters of a wrong key; so do we, keys are secrets.
    return f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"


@dataclass
class StripeCall:
    """One API call: the state, its parameters (query and form merged) and who made it."""

    state: StripeState
    params: Params
    request: RequestInfo

    def respond(self, obj: StripeObject, status_code: int = 200) -> JSONResponse:
        """The object as JSON, with the `expand[]` paths the caller asked for."""
        body = expand(self.state, obj, [str(path) for path in optional_list(self.params, "expand")])
        return JSONResponse(
            body, status_code=status_code, headers={"Request-Id": self.request.id or ""}
        )

    def respond_list(self, objects: list[StripeObject], url: str) -> JSONResponse:
        """A page of a newest-first list, Stripe's `{object: "list", data, has_more, url}`."""
        return self.respond(paginate(objects, self.params, url))


async def stripe_call(request: Request, state: State) -> StripeCall:
    """Parse the call's parameters the way Stripe reads them (a FastAPI dependency)."""
    params = parse_form(request.url.query)
    if request.method in ("POST", "DELETE"):
        params.update(parse_form((await request.body()).decode("utf-8", errors="replace")))
    info = RequestInfo(id=new_id("req", 14), idempotency_key=request.headers.get("idempotency-key"))
    return StripeCall(state=state, params=params, request=info)


Call = Annotated[StripeCall, Depends(stripe_call)]


def expand(state: StripeState, obj: StripeObject, paths: list[str]) -> StripeObject:
    """A copy of `obj` with the ids at each dotted path replaced by their objects."""
    result = snapshot(obj)
    for path in paths:
        _expand_path(state, result, path.split("."))
    return result


def _expand_path(state: StripeState, node: Any, parts: list[str]) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    value = node.get(head)
    if head == "data" and isinstance(value, list):
        for item in value:
            _expand_path(state, item, rest)
        return
    if isinstance(value, str) and value in state.objects:
        node[head] = value = snapshot(state.objects[value])
    _expand_path(state, value, rest)


def paginate(objects: list[StripeObject], params: Params, url: str) -> StripeObject:
    """Apply `limit`, `starting_after` and `ending_before` to a newest-first list."""
    limit = optional_int(params, "limit") or DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid_param("limit", f"Invalid limit: must be between 1 and {MAX_PAGE_SIZE}.")
    ids = [obj["id"] for obj in objects]
    starting_after = optional_str(params, "starting_after")
    ending_before = optional_str(params, "ending_before")
    if starting_after is not None:
        rest = objects[_position(ids, starting_after, "starting_after") + 1 :]
        page, has_more = rest[:limit], len(rest) > limit
    elif ending_before is not None:
        before = objects[: _position(ids, ending_before, "ending_before")]
        page, has_more = before[-limit:], len(before) > limit
    else:
        page, has_more = objects[:limit], len(objects) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _position(ids: list[str], object_id: str, param: str) -> int:
    if object_id not in ids:
        raise invalid_param(param, f"Invalid {param}: no object with id '{object_id}' in the list.")
    return ids.index(object_id)


def filter_by(objects: list[StripeObject], params: Params, *fields: str) -> list[StripeObject]:
    """Keep the objects whose fields equal the string parameters of those names that were sent."""
    wanted = {name: value for name in fields if (value := optional_str(params, name)) is not None}
    return [obj for obj in objects if all(obj.get(name) == value for name, value in wanted.items())]
