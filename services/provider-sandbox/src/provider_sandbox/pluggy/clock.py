"""The Pluggy half's clock: real UTC time moved forward by the control API, or frozen for tests,
which may also set it to any moment (a fixed date)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


class SandboxClock:
    """`now()` is real time plus an offset; frozen, it stands still until it is moved."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        """The sandbox's current time (UTC, aware)."""
        base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
        return base + self._offset

    def jump_to(self, moment: datetime) -> None:
        """Move the clock to `moment`; it never goes back."""
        gap = moment - self.now()
        if gap > timedelta(0):
            self._offset += gap

    def set_to(self, moment: datetime) -> timedelta:
        """Put the clock at `moment`, back or ahead; returns how far it moved."""
        gap = moment - self.now()
        self._offset += gap
        return gap

    def freeze(self) -> None:
        """Stop real time from moving the clock (tests step it with `jump_to`)."""
        if self._frozen_at is None:
            self._frozen_at = datetime.now(UTC)

    def unfreeze(self) -> None:
        """Let real time move the clock again, from where it stands."""
        if self._frozen_at is not None:
            self._offset -= datetime.now(UTC) - self._frozen_at
            self._frozen_at = None

    @property
    def frozen(self) -> bool:
        """Whether real time is stopped."""
        return self._frozen_at is not None


def iso(moment: datetime | None) -> str | None:
    """Pluggy's timestamp format: `2020-10-15T00:00:00.000Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    """An ISO date or timestamp from a query string, as an aware UTC datetime.

    Raises ValueError when `text` is neither.
    """
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
