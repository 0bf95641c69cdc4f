"""What the bus raises: a message the broker did not take, a message a handler can never take."""

from __future__ import annotations

from finhub_shared.errors import ServiceUnavailable


class PublishError(ServiceUnavailable):
    """The broker did not confirm a message (nack, timeout, lost connection); publish it later."""

    code = "broker_unavailable"


class Refused(Exception):
    """Raised by a handler for an envelope it can never handle (its `data` breaks the event's
    contract): the message is parked in the DLQ at once, with this message as the reason."""
