"""When an OUTDATED item (the bank did not answer Pluggy) is updated again: a first retry a while
after it became OUTDATED, then twice as long after each failed one, up to a cap, jittered so that
items a bank's outage left OUTDATED together do not all come back at once."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from banking.config import BankingSettings
from banking.items import models as states
from banking.items.models import Item

# A delay is shortened by up to this fraction at random: never later than the backoff says.
JITTER = 0.1


def delay(settings: BankingSettings, retries: int) -> timedelta:
    """How long after `retries` failed updates the next one is asked for, jittered."""
    first, cap = settings.outdated_retry_first_seconds, settings.outdated_retry_max_seconds
    seconds = min(first * 2 ** min(retries, 32), cap)
    return timedelta(seconds=seconds * (1 - JITTER * random.random()))


def follow_status(item: Item, settings: BankingSettings, now: datetime) -> None:
    """After the item's status was kept: OUTDATED schedules its next retry (unless one is
    scheduled), an update under way waits for its outcome, any other status ends the retries."""
    if item.status == states.OUTDATED:
        if item.outdated_retry_at is None:
            item.outdated_retry_at = now + delay(settings, item.outdated_retries)
    elif item.status in states.IN_PROGRESS_STATUSES:
        item.outdated_retry_at = None
    else:
        stop(item)


def count_retry(item: Item, settings: BankingSettings, now: datetime) -> None:
    """An update is asked for now: counted, and the next one due as if it fails."""
    item.outdated_retries += 1
    item.outdated_retry_at = now + delay(settings, item.outdated_retries)
    # A retry is not a change of the item: updated_at keeps saying when its state last changed.
    item.updated_at = Item.updated_at


def stop(item: Item) -> None:
    """No more retries: the item left OUTDATED for good (or is closed)."""
    item.outdated_retries, item.outdated_retry_at = 0, None
