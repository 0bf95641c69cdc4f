"""One row per fault, and the target each row must meet."""

from __future__ import annotations

from dataclasses import dataclass, field

READY_TARGET_SECONDS = 30.0
COLUMNS = (
    ("fault", 26),
    ("journeys", 8),
    ("acked", 6),
    ("lost", 5),
    ("dup", 4),
    ("dlq", 4),
    ("ready s", 7),
    ("drain s", 7),
    ("", 4),
)


@dataclass
class Row:
    """What one fault did to the system."""

    fault: str
    journeys_done: int
    journeys: int
    acknowledged: int
    lost: int
    duplicated: int
    dead_letters: int
    ready_seconds: float | None  # None: not every service was ready again in time
    drain_seconds: float | None  # None: the backlog had not drained by the deadline
    notes: list[str] = field(default_factory=list)
    fault_applied: bool = True

    @property
    def passed(self) -> bool:
        """The fault applied, every journey done, nothing lost, duplicated or dead-lettered,
        ready within 30 s, the backlog drained."""
        return (
            self.fault_applied
            and self.journeys_done == self.journeys
            and self.lost == 0
            and self.duplicated == 0
            and self.dead_letters == 0
            and self.ready_seconds is not None
            and self.ready_seconds <= READY_TARGET_SECONDS
            and self.drain_seconds is not None
        )

    def cells(self) -> tuple[str, ...]:
        return (
            self.fault,
            f"{self.journeys_done}/{self.journeys}",
            str(self.acknowledged),
            str(self.lost),
            str(self.duplicated),
            str(self.dead_letters),
            _seconds(self.ready_seconds),
            _seconds(self.drain_seconds),
            "ok" if self.passed else "FAIL",
        )


def header() -> str:
    line = " | ".join(f"{name:<{width}}" for name, width in COLUMNS)
    return f"{line}\n{'-' * len(line)}"


def line(row: Row) -> str:
    return " | ".join(
        f"{cell:<{width}}" for cell, (_, width) in zip(row.cells(), COLUMNS, strict=True)
    )


def details(rows: list[Row]) -> str:
    """Why each failed row failed, as far as the harness saw it."""
    return "\n".join(f"{row.fault}: {note}" for row in rows if not row.passed for note in row.notes)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}"
