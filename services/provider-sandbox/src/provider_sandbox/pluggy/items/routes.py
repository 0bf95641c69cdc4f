"""`/items`: create a connection, read it, update (sync) it, answer its MFA prompt, delete it."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body, Depends
from pydantic import Field

from provider_sandbox.pluggy.auth import ApiCaller, Caller
from provider_sandbox.pluggy.bodies import CamelModel
from provider_sandbox.pluggy.connectors import Connector
from provider_sandbox.pluggy.errors import PluggyError, bad_request, new_router
from provider_sandbox.pluggy.items import lifecycle
from provider_sandbox.pluggy.models import Item, TriggeredBy
from provider_sandbox.pluggy.state import PluggySandbox, get_sandbox

PRODUCTS = ["ACCOUNTS", "CREDIT_CARDS", "TRANSACTIONS"]

router = new_router(tags=["Pluggy items"])
# The Connect widget creates, reads, updates and deletes its own items with its connect token.
widget_router = new_router(tags=["Pluggy items"])
Sandbox = Annotated[PluggySandbox, Depends(get_sandbox)]


class CreateItem(CamelModel):
    connector_id: int = Field(alias="connectorId")
    parameters: dict[str, str] | str
    webhook_url: str | None = Field(None, alias="webhookUrl")
    client_user_id: str | None = Field(None, alias="clientUserId")
    oauth_redirect_uri: str | None = Field(None, alias="oauthRedirectUri")
    products: list[str] | None = None
    avoid_duplicates: bool = Field(False, alias="avoidDuplicates")


class UpdateItem(CamelModel):
    parameters: dict[str, str] | str | None = None
    webhook_url: str | None = Field(None, alias="webhookUrl")
    client_user_id: str | None = Field(None, alias="clientUserId")
    products: list[str] | None = None


def _checked_parameters(connector: Connector, parameters: dict[str, str] | str) -> dict[str, str]:
    """The credentials, or Pluggy's 400 naming the first one missing."""
    if isinstance(parameters, str):
        raise bad_request(
            "Encrypted parameters are not supported by the sandbox", "PARAMETER_VALIDATION_ERROR"
        )
    for credential in connector.credentials:
        name = credential["name"]
        if not parameters.get(name):
            raise bad_request(
                "Connector parameters do not match validation rules",
                "CONNECTOR_VALIDATION_ERROR",
                details=[
                    {"code": "001", "parameter": name, "message": f"{name} parameter is required"}
                ],
            )
    return parameters


def _usable_connector(sandbox: PluggySandbox, connector_id: int) -> Connector:
    connector = sandbox.connectors.get(connector_id)
    if connector is None:
        raise bad_request("connector not found", "CONNECTOR_NOT_FOUND")
    if connector.health == "OFFLINE":
        raise bad_request(
            f"Connector {connector.name} is offline, try again later", "CONNECTOR_OFFLINE"
        )
    return connector


def _refuse_duplicate(sandbox: PluggySandbox, connector: Connector, user: str) -> None:
    same = [i.id for i in sandbox.items.values() if i.connector is connector and i.user == user]
    if same:
        raise bad_request(
            "There are other items with the same credentials, you can't create a new one",
            "ITEM_USER_ALREADY_EXISTS",
            items=same,
        )


@widget_router.post("/items")
async def create_item(body: CreateItem, sandbox: Sandbox, who: ApiCaller) -> dict[str, Any]:
    """Connect to an institution; the item starts its first execution at once."""
    connector = _usable_connector(sandbox, body.connector_id)
    parameters = _checked_parameters(connector, body.parameters)
    token = who.connect_token
    if body.avoid_duplicates or (token is not None and token.avoid_duplicates):
        _refuse_duplicate(sandbox, connector, parameters["user"])
    now = sandbox.now()
    item = Item(
        id=str(uuid.uuid4()),
        connector=connector,
        user=parameters["user"],
        password=parameters["password"],
        mfa_token=parameters.get("token"),
        status="UPDATING",
        execution_status="CREATED",
        created_at=now,
        updated_at=now,
        client_user_id=body.client_user_id or (token.client_user_id if token else None),
        webhook_url=body.webhook_url or (token.webhook_url if token else None),
        products=body.products or PRODUCTS,
    )
    sandbox.items[item.id] = item
    if token is not None:
        token.item_ids.add(item.id)
    lifecycle.start_execution(sandbox, item, "USER" if token else "CLIENT")
    return item.as_json()


@widget_router.get("/items/{item_id}")
async def get_item(item_id: str, sandbox: Sandbox, who: ApiCaller) -> dict[str, Any]:
    """The item and the state of its latest execution."""
    who.require_item(item_id)
    return sandbox.item(item_id).as_json()


@widget_router.patch("/items/{item_id}")
async def update_item(
    item_id: str, sandbox: Sandbox, who: ApiCaller, body: UpdateItem | None = None
) -> dict[str, Any]:
    """Update the item's settings or credentials and sync it again now."""
    who.require_item(item_id)
    item = sandbox.item(item_id)
    _refuse_while_running(item)
    update = body or UpdateItem()
    if update.parameters is not None:
        _apply_credentials(item, _checked_parameters(item.connector, update.parameters))
    if update.webhook_url is not None:
        item.webhook_url = update.webhook_url
    if update.client_user_id is not None:
        item.client_user_id = update.client_user_id
    if update.products is not None:
        item.products = update.products
    item.auto_sync = True
    lifecycle.start_execution(sandbox, item, _trigger(who))
    return item.as_json()


def _trigger(who: Caller) -> TriggeredBy:
    return "USER" if who.is_connect_token else "CLIENT"


def _refuse_while_running(item: Item) -> None:
    if item.status in ("UPDATING", "WAITING_USER_INPUT", "WAITING_USER_ACTION"):
        raise PluggyError(409, "The item is already updating", "ITEM_IS_ALREADY_UPDATING")


def _apply_credentials(item: Item, parameters: dict[str, str]) -> None:
    item.user = parameters["user"]
    item.password = parameters["password"]
    item.mfa_token = parameters.get("token")
    item.renew_consent = True


@widget_router.post("/items/{item_id}/mfa")
async def send_mfa(
    item_id: str,
    sandbox: Sandbox,
    who: ApiCaller,
    answer: Annotated[dict[str, str], Body()],
) -> dict[str, Any]:
    """Answer the item's MFA prompt (`{"token": "123456"}`)."""
    who.require_item(item_id)
    item = sandbox.item(item_id)
    if item.status != "WAITING_USER_INPUT" or item.parameter is None:
        raise bad_request("The item is not waiting for user input", "ITEM_NOT_WAITING_USER_INPUT")
    lifecycle.submit_mfa(sandbox, item, answer.get(item.parameter["name"]))
    return item.as_json()


@router.patch("/items/{item_id}/disable-auto-sync")
async def disable_auto_sync(item_id: str, sandbox: Sandbox) -> dict[str, Any]:
    """Stop the item's scheduled syncs until it is updated by hand."""
    item = sandbox.item(item_id)
    item.auto_sync = False
    item.next_auto_sync_at = None
    return item.as_json()


@widget_router.delete("/items/{item_id}")
async def delete_item(item_id: str, sandbox: Sandbox, who: ApiCaller) -> dict[str, int]:
    """Delete the item with its accounts, transactions and consent; sends item/deleted."""
    who.require_item(item_id)
    item = sandbox.item(item_id)
    item.triggered_by = _trigger(who)
    sandbox.forget_item(item.id)
    sandbox.notifier.emit_for_item("item/deleted", item)
    return {"count": 1}
