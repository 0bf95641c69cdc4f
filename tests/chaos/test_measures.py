"""The chaos measures know every queue: one that keeps no inbox must say how its unfinished work
is found, or everything it handled would count as lost."""

from __future__ import annotations

from .measures import OWN_RECORDS, SUBSCRIPTIONS


def test_every_queue_without_an_inbox_has_its_own_record_of_unfinished_work() -> None:
    without_inbox = {
        subscription.queue.name
        for subscriptions in SUBSCRIPTIONS.values()
        for subscription in subscriptions
        if subscription.own_transactions is not None
    }

    assert without_inbox == set(OWN_RECORDS)
