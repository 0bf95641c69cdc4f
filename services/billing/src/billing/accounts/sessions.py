"""Billing's session guard: an access token works only while the log-in it came from is live."""

from __future__ import annotations

from billing.accounts import repository
from billing.accounts.errors import SessionRevoked
from finhub_shared.auth import Principal
from finhub_shared.db import Database


class LiveSessions:
    """The `SessionGuard` billing installs: log-out and log-out-everywhere take effect at once on
    billing's routes, not when the access token expires."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def check(self, principal: Principal) -> None:
        """Raise SessionRevoked unless the token's log-in is live."""
        # Every token billing issues names its log-in; one that does not could not be logged out.
        if principal.session_id is None:
            raise SessionRevoked("This access token belongs to no session; log in again.")
        async with self._database.sessions() as session:
            live = await repository.session_is_live(
                session, principal.user_id, principal.session_id
            )
        if not live:
            raise SessionRevoked("This session has ended; log in again.")
