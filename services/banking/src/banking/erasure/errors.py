"""Errors of a company's erasure in banking."""

from __future__ import annotations


class ConnectionsAppeared(Exception):
    """A connection was made while the others were deleted at Pluggy: the erasure starts over
    (the bus retries it) rather than leave that one at Pluggy."""
