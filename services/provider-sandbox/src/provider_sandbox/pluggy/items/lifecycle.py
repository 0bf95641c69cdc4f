"""An item's execution, step by step in sandbox time, with the webhooks each step sends.

    CREATED → LOGIN_IN_PROGRESS → (login) → ACCOUNTS_IN_PROGRESS → CREDITCARDS_IN_PROGRESS
            → TRANSACTIONS_IN_PROGRESS → UPDATED with SUCCESS or PARTIAL_SUCCESS

The login step ends an execution with the sandbox user's error (LOGIN_ERROR or OUTDATED, see
`sandbox_users.py`), or, on the MFA 2-step connector, waits for `POST /items/{id}/mfa`
(WAITING_USER_INPUT) until the prompt expires (OUTDATED / USER_INPUT_TIMEOUT). The `user-action`
user waits for an action at the institution (WAITING_USER_ACTION, `userAction`) that the control
API finishes, until it expires (LOGIN_ERROR / USER_AUTHORIZATION_PENDING). A finished item
syncs again by itself every 24 hours (`nextAutoSyncAt`) unless it needs its user first.
Events: item/login_succeeded, item/waiting_user_input, item/waiting_user_action, item/created
(first success), item/updated (later successes), item/error, and transactions/created for what
later syncs add.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from provider_sandbox.pluggy import accounts
from provider_sandbox.pluggy.clock import iso
from provider_sandbox.pluggy.connectors import TOKEN_CREDENTIAL
from provider_sandbox.pluggy.consents import ensure_consent, has_active_consent
from provider_sandbox.pluggy.models import Account, Item, TriggeredBy
from provider_sandbox.pluggy.sandbox_users import (
    EXECUTION_ERRORS,
    SANDBOX_MFA_TOKEN,
    ExecutionError,
    SandboxLogin,
    login_for,
)
from provider_sandbox.pluggy.state import PluggySandbox

STEP = timedelta(seconds=2)
MFA_WINDOW = timedelta(minutes=5)
# Pluggy does not say how long an action at the institution may take; the sandbox allows this.
USER_ACTION_WINDOW = timedelta(minutes=10)
USER_ACTION_INSTRUCTIONS = "Abra o app do Pluggy Bank e autorize este novo acesso."
AUTO_SYNC_EVERY = timedelta(hours=24)

Step = Callable[[PluggySandbox, Item], None]


def start_execution(sandbox: PluggySandbox, item: Item, triggered_by: TriggeredBy) -> None:
    """Begin a new execution (creation, update or auto-sync); any older one stops."""
    item.execution += 1
    item.triggered_by = triggered_by
    item.status = "UPDATING"
    item.execution_status = "CREATED"
    item.error = None
    item.parameter = None
    item.user_action = None
    item.status_detail = None
    item.next_auto_sync_at = None
    item.updated_at = sandbox.now()
    _after(sandbox, item, STEP, _log_in)


def _after(sandbox: PluggySandbox, item: Item, delay: timedelta, step: Step) -> None:
    """Run `step` after `delay`, unless the item is gone or a newer execution started."""
    execution = item.execution

    async def run() -> None:
        if sandbox.items.get(item.id) is item and item.execution == execution:
            step(sandbox, item)

    sandbox.timeline.after(delay, run)


def _progress(sandbox: PluggySandbox, item: Item, execution_status: str) -> None:
    item.status = "UPDATING"
    item.execution_status = execution_status
    item.updated_at = sandbox.now()


def _log_in(sandbox: PluggySandbox, item: Item) -> None:
    _progress(sandbox, item, "LOGIN_IN_PROGRESS")
    _after(sandbox, item, STEP, _login_result)


def _login_result(sandbox: PluggySandbox, item: Item) -> None:
    login = _login(item)
    if login.error is not None:
        fail(sandbox, item, login.error, login.provider_message)
    elif item.connected_once and not has_active_consent(sandbox, item) and not item.renew_consent:
        fail(sandbox, item, EXECUTION_ERRORS["USER_AUTHORIZATION_NOT_GRANTED"])
    elif item.connector.mfa == "one_step" and item.mfa_token != SANDBOX_MFA_TOKEN:
        fail(sandbox, item, EXECUTION_ERRORS["INVALID_CREDENTIALS_MFA"])
    elif item.connector.mfa == "two_step":
        _ask_for_token(sandbox, item)
    elif login.needs_user_action and item.triggered_by != "SYNC":
        _ask_for_action(sandbox, item)
    else:
        _logged_in(sandbox, item)


def _ask_for_token(sandbox: PluggySandbox, item: Item) -> None:
    expires_at = sandbox.now() + MFA_WINDOW
    item.status = "WAITING_USER_INPUT"
    item.execution_status = "WAITING_USER_INPUT"
    item.parameter = {**TOKEN_CREDENTIAL, "expiresAt": iso(expires_at)}
    item.updated_at = sandbox.now()
    sandbox.notifier.emit_for_item("item/waiting_user_input", item)
    _after(sandbox, item, MFA_WINDOW, _mfa_timed_out)


def _mfa_timed_out(sandbox: PluggySandbox, item: Item) -> None:
    if item.status == "WAITING_USER_INPUT":
        fail(sandbox, item, EXECUTION_ERRORS["USER_INPUT_TIMEOUT"])


def _ask_for_action(sandbox: PluggySandbox, item: Item) -> None:
    expires_at = sandbox.now() + USER_ACTION_WINDOW
    item.status = "WAITING_USER_ACTION"
    item.execution_status = "WAITING_USER_ACTION"
    item.user_action = {
        "instructions": USER_ACTION_INSTRUCTIONS,
        "type": "authorize-access",
        "attributes": {},
        "expiresAt": iso(expires_at),
    }
    item.updated_at = sandbox.now()
    sandbox.notifier.emit_for_item("item/waiting_user_action", item)
    _after(sandbox, item, USER_ACTION_WINDOW, _user_action_timed_out)


def _user_action_timed_out(sandbox: PluggySandbox, item: Item) -> None:
    if item.status == "WAITING_USER_ACTION":
        fail(sandbox, item, EXECUTION_ERRORS["USER_AUTHORIZATION_PENDING"])


def finish_user_action(sandbox: PluggySandbox, item: Item) -> None:
    """The user did what the institution asked (sandbox control): the login goes on."""
    item.user_action = None
    _progress(sandbox, item, "LOGIN_IN_PROGRESS")
    _after(sandbox, item, STEP, _logged_in)


def submit_mfa(sandbox: PluggySandbox, item: Item, answer: str | None) -> None:
    """The user's answer to the MFA prompt: 123456 continues, anything else fails the login."""
    item.parameter = None
    if answer != SANDBOX_MFA_TOKEN:
        fail(sandbox, item, EXECUTION_ERRORS["INVALID_CREDENTIALS_MFA"])
        return
    _progress(sandbox, item, "LOGIN_MFA_IN_PROGRESS")
    _after(sandbox, item, STEP, _logged_in)


def _logged_in(sandbox: PluggySandbox, item: Item) -> None:
    _progress(sandbox, item, "ACCOUNTS_IN_PROGRESS")
    sandbox.notifier.emit_for_item("item/login_succeeded", item)
    _after(sandbox, item, STEP, _collect_accounts)


def _login(item: Item) -> SandboxLogin:
    return login_for(item.user, item.password)


def _collect_accounts(sandbox: PluggySandbox, item: Item) -> None:
    accounts.collect_accounts(sandbox, item, _login(item))
    _progress(sandbox, item, "CREDITCARDS_IN_PROGRESS")
    _after(sandbox, item, STEP, _collect_credit_cards)


def _collect_credit_cards(sandbox: PluggySandbox, item: Item) -> None:
    _progress(sandbox, item, "TRANSACTIONS_IN_PROGRESS")
    _after(sandbox, item, STEP, _finish)


def _finish(sandbox: PluggySandbox, item: Item) -> None:
    login = _login(item)
    added = accounts.collect_transactions(sandbox, item, login)
    now = sandbox.now()
    item.status = "UPDATED"
    item.execution_status = "PARTIAL_SUCCESS" if login.accounts_fail else "SUCCESS"
    item.status_detail = _status_detail(item, login)
    item.last_updated_at = now
    item.updated_at = now
    item.consecutive_failed_login_attempts = 0
    item.consent_expires_at = ensure_consent(sandbox, item).expires_at
    item.renew_consent = False
    first_connection = not item.connected_once
    item.connected_once = True
    _schedule_auto_sync(sandbox, item)
    sandbox.notifier.emit_for_item("item/created" if first_connection else "item/updated", item)
    if first_connection:
        return
    for new in added:
        announce_new_transactions(sandbox, item, new.account, new.created_at)


def announce_new_transactions(
    sandbox: PluggySandbox, item: Item, account: Account, created_at: datetime
) -> None:
    """Send transactions/created with the link that lists what arrived at `created_at`."""
    created_from = iso(created_at) or ""
    link_query = urlencode({"accountId": account.id, "createdAtFrom": created_from})
    sandbox.notifier.emit_for_item(
        "transactions/created",
        item,
        accountId=account.id,
        transactionsCreatedAtFrom=created_from,
        createdTransactionsLink=f"{sandbox.public_url}/v2/transactions?{link_query}",
    )


def _status_detail(item: Item, login: SandboxLogin) -> dict[str, object] | None:
    if not (login.accounts_fail or login.accounts_warning):
        return None
    now = iso(item.updated_at)
    warnings = []
    if login.accounts_warning:
        warnings.append(
            {
                "code": "001",
                "message": "Some accounts could not be collected: missing permissions",
                "providerMessage": None,
            }
        )
    accounts_detail = {
        "isUpdated": not login.accounts_fail,
        "lastUpdatedAt": None if login.accounts_fail else now,
        "warnings": warnings,
    }
    updated: dict[str, object] = {"isUpdated": True, "lastUpdatedAt": now, "warnings": []}
    return {"accounts": accounts_detail, "creditCards": updated, "transactions": updated}


def fail(
    sandbox: PluggySandbox, item: Item, error: ExecutionError, provider_message: str | None = None
) -> None:
    """End the execution with `error` and send item/error."""
    item.status = error.item_status
    item.execution_status = error.execution_status
    item.error = {"code": error.code, "message": error.message}
    if provider_message:
        item.error["providerMessage"] = provider_message
    item.parameter = None
    item.user_action = None
    item.updated_at = sandbox.now()
    if error.item_status == "LOGIN_ERROR":
        item.consecutive_failed_login_attempts += 1
    elif item.connected_once:
        _schedule_auto_sync(sandbox, item)
    sandbox.notifier.emit_for_item("item/error", item, error=item.error)


def stop_with_error(
    sandbox: PluggySandbox, item: Item, error_code: str, triggered_by: TriggeredBy
) -> None:
    """End whatever the item was doing with `error_code` (e.g. its consent was revoked)."""
    item.execution += 1
    item.triggered_by = triggered_by
    item.next_auto_sync_at = None
    fail(sandbox, item, EXECUTION_ERRORS[error_code])


def _schedule_auto_sync(sandbox: PluggySandbox, item: Item) -> None:
    if not item.auto_sync:
        item.next_auto_sync_at = None
        return
    item.next_auto_sync_at = sandbox.now() + AUTO_SYNC_EVERY
    _after(sandbox, item, AUTO_SYNC_EVERY, _auto_sync)


def _auto_sync(sandbox: PluggySandbox, item: Item) -> None:
    if item.auto_sync:
        start_execution(sandbox, item, "SYNC")
