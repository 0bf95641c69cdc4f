"""Errors of items and their MFA."""

from __future__ import annotations

from finhub_shared.errors import Conflict, NotFound


class ItemNotFound(NotFound):
    """Pluggy does not know the item, or it belongs to another company."""

    code = "item_not_found"


class MfaNotPending(Conflict):
    code = "mfa_not_pending"


class MfaExpired(Conflict):
    """The MFA window closed; the item offers a reconnect instead."""

    code = "mfa_expired"


class ItemClosed(Conflict):
    """The item was deleted or its consent revoked."""

    code = "item_closed"
