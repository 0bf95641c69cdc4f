"""What the user should do next about an item, from its status and execution status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from banking.items import models, partial


class Action(StrEnum):
    NONE = "none"
    ANSWER_MFA = "answer_mfa"
    RECONNECT = "reconnect"
    FIX_CREDENTIALS = "fix_credentials"
    ACT_AT_BANK = "act_at_bank"
    WAIT_FOR_BANK = "wait_for_bank"


# What the user reads once an MFA prompt ran out.
MFA_EXPIRED_MESSAGE = "The bank's code expired; reconnect to get a new one."


@dataclass(frozen=True)
class NextAction:
    action: Action
    message: str


# Execution outcomes that only new credentials fix.
_BAD_CREDENTIALS = frozenset(
    {"INVALID_CREDENTIALS", "INVALID_CREDENTIALS_MFA", "ACCOUNT_CREDENTIALS_RESET"}
)
# Outcomes the user settles at the bank itself (unlock, authorise a device, accept terms).
_AT_THE_BANK = frozenset({"ACCOUNT_LOCKED", "ACCOUNT_NEEDS_ACTION", "USER_AUTHORIZATION_PENDING"})
# Outcomes that need a fresh log-in through the widget, same credentials.
_NEEDS_RECONNECT = frozenset(
    {models.USER_INPUT_TIMEOUT, "USER_AUTHORIZATION_NOT_GRANTED", "ALREADY_LOGGED_IN"}
)
_IN_PROGRESS = frozenset({models.UPDATING, models.LOGIN_IN_PROGRESS, models.MERGING})


def next_action(item: models.Item, now: datetime) -> NextAction:
    """The one thing the user should do about the item now (often nothing)."""
    outcome = item.error_code or item.execution_status
    if item.status == models.DELETED:
        return NextAction(Action.NONE, "This connection was removed.")
    if item.status == models.CONSENT_REVOKED:
        return NextAction(Action.RECONNECT, "Consent was revoked; connect again to resume.")
    if item.status == models.WAITING_USER_INPUT:
        if item.mfa_expires_at is not None and item.mfa_expires_at <= now:
            return NextAction(Action.RECONNECT, MFA_EXPIRED_MESSAGE)
        return NextAction(Action.ANSWER_MFA, "Enter the code your bank sent you.")
    if item.status == models.WAITING_USER_ACTION or outcome in _AT_THE_BANK:
        return NextAction(
            Action.ACT_AT_BANK,
            item.user_action_instructions or "Your bank needs you to act in its app or site.",
        )
    if outcome in _BAD_CREDENTIALS:
        return NextAction(Action.FIX_CREDENTIALS, "The bank refused the credentials; update them.")
    if outcome in _NEEDS_RECONNECT or item.status in (models.LOGIN_ERROR, models.ERROR):
        return NextAction(Action.RECONNECT, "Reconnect to the bank to resume syncing.")
    if item.status in _IN_PROGRESS:
        return NextAction(Action.WAIT_FOR_BANK, "Pluggy is fetching data from the bank.")
    if item.status == models.OUTDATED:
        return NextAction(Action.WAIT_FOR_BANK, _retried(item, now))
    issues = partial.read(item.product_issues)
    if item.status == models.UPDATED and issues:
        action = Action.RECONNECT if partial.needs_reconnect(issues) else Action.WAIT_FOR_BANK
        return NextAction(action, partial.told(issues))
    return NextAction(Action.NONE, "Nothing to do.")


def _retried(item: models.Item, now: datetime) -> str:
    """What an OUTDATED item waits for: the next retry, with its time while it is ahead."""
    retry_at = item.outdated_retry_at
    if retry_at is None or retry_at <= now:
        return "The bank is not answering; the sync will be retried."
    return (
        "The bank is not answering; the sync will be retried at "
        f"{retry_at.astimezone(UTC):%H:%M} UTC."
    )
