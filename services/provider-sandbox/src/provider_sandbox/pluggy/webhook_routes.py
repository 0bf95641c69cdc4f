"""`/webhooks`: register where Pluggy's events go, with custom headers sent on every delivery.

Pluggy refuses http, localhost and private addresses; the sandbox accepts them (the gateway it
calls runs on this machine) but keeps Pluggy's other rules: a known event, one webhook per event
and URL, at most five per event.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends

from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.errors import bad_request, new_router, not_found
from provider_sandbox.pluggy.models import RegisteredWebhook, page
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

EVENTS = frozenset(
    {
        "all",
        "item/all",
        "item/created",
        "item/updated",
        "item/error",
        "item/deleted",
        "item/waiting_user_input",
        "item/waiting_user_action",
        "item/login_succeeded",
        "connector/status_updated",
        "transactions/created",
        "transactions/updated",
        "transactions/deleted",
        "payment_intent/created",
        "payment_intent/completed",
        "payment_intent/waiting_payer_authorization",
        "payment_intent/error",
        "payment_request/updated",
        "scheduled_payment/created",
        "scheduled_payment/completed",
        "scheduled_payment/error",
        "scheduled_payment/canceled",
        "scheduled_payment/all_completed",
        "scheduled_payment/all_created",
        "boleto/updated",
        "automatic_pix_payment/created",
        "automatic_pix_payment/completed",
        "automatic_pix_payment/error",
        "automatic_pix_payment/canceled",
        "smart_transfer_preauthorization/completed",
        "smart_transfer_preauthorization/error",
        "smart_transfer_payment/completed",
        "smart_transfer_payment/error",
    }
)
MAX_PER_EVENT = 5

router = new_router(tags=["Pluggy webhooks"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


class CreateWebhook(CamelModel):
    url: str
    event: str
    headers: dict[str, str] | None = None


class UpdateWebhook(CamelModel):
    url: str | None = None
    event: str | None = None
    headers: dict[str, str] | None = None
    enabled: bool | None = None


def _check(sandbox: PluggySandbox, url: str, event: str, ignore: str | None = None) -> None:
    if event not in EVENTS:
        raise bad_request(f"Invalid event type '{event}' for webhook")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("Webhook url must be valid URL address and not localhost")
    others = [hook for hook in sandbox.webhooks.values() if hook.id != ignore]
    if any(hook.url == url and hook.event == event for hook in others):
        raise bad_request(f"A webhook for event '{event}' and url '{url}' already exists.")
    if sum(hook.event == event for hook in others) >= MAX_PER_EVENT:
        raise bad_request(
            f"You have reached the maximum of {MAX_PER_EVENT} webhooks for event '{event}'."
        )


def _webhook(sandbox: PluggySandbox, webhook_id: str) -> RegisteredWebhook:
    webhook = sandbox.webhooks.get(webhook_id)
    if webhook is None:
        raise not_found("webhook")
    return webhook


@router.post("/webhooks", status_code=201)
async def create_webhook(body: CreateWebhook, sandbox: Sandbox) -> dict[str, Any]:
    """Send `event` (or every event, with `all`) to `url` with `headers` from now on."""
    _check(sandbox, body.url, body.event)
    now = sandbox.now()
    webhook = RegisteredWebhook(
        id=str(uuid.uuid4()),
        url=body.url,
        event=body.event,
        headers=body.headers or {},
        created_at=now,
        updated_at=now,
    )
    sandbox.webhooks[webhook.id] = webhook
    return webhook.as_json()


@router.get("/webhooks")
async def list_webhooks(sandbox: Sandbox) -> dict[str, Any]:
    """Every registered webhook."""
    return page([webhook.as_json() for webhook in sandbox.webhooks.values()])


@router.get("/webhooks/{webhook_id}")
async def get_webhook(webhook_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """One webhook."""
    return _webhook(sandbox, webhook_id).as_json()


@router.patch("/webhooks/{webhook_id}")
async def update_webhook(webhook_id: str, body: UpdateWebhook, sandbox: Sandbox) -> dict[str, Any]:
    """Change a webhook; `headers: null` clears its headers, `enabled: true` re-enables it."""
    webhook = _webhook(sandbox, webhook_id)
    url, event = body.url or webhook.url, body.event or webhook.event
    _check(sandbox, url, event, ignore=webhook.id)
    webhook.url, webhook.event = url, event
    if "headers" in body.model_fields_set:
        webhook.headers = body.headers or {}
    now = sandbox.now()
    if body.enabled is not None:
        webhook.disabled_at = None if body.enabled else now
    webhook.updated_at = now
    return webhook.as_json()


@router.delete("/webhooks/{webhook_id}")
async def delete_webhook(webhook_id: str, sandbox: Sandbox) -> dict[str, int]:
    """Stop sending to a webhook."""
    del sandbox.webhooks[_webhook(sandbox, webhook_id).id]
    return {"count": 1}
