"""supervisord event listener: each line a program prints, on supervisord's stdout after the
program's name, as `gateway-worker | line`.

supervisord speaks to a listener on its stdin and stdout (READY, an event, RESULT), so the lines
go out on stderr, which the config sends to supervisord's stdout.
"""

from __future__ import annotations

import sys
from typing import TextIO

# The longest program name (billing-worker), so the lines of every program start in one column.
NAME_WIDTH = 14


def fields(line: str) -> dict[str, str]:
    """`key:value key:value` (an event's header, or the first line of its payload) as a dict."""
    return dict(token.split(":", 1) for token in line.split())


def prefixed(payload: str) -> str:
    """A PROCESS_LOG event's payload as the program's lines, each after the program's name."""
    head, _, output = payload.partition("\n")
    name = fields(head)["processname"]
    return "".join(f"{name:<{NAME_WIDTH}} | {line}\n" for line in output.splitlines())


def listen(events: TextIO, replies: TextIO, lines: TextIO) -> None:
    """Answer supervisord's events until it closes our stdin."""
    while True:
        replies.write("READY\n")
        replies.flush()
        header = events.readline()
        if not header:
            return
        # The length counts characters: supervisord measures the text before encoding it.
        lines.write(prefixed(events.read(int(fields(header)["len"]))))
        lines.flush()
        replies.write("RESULT 2\nOK")
        replies.flush()


if __name__ == "__main__":
    sys.stdin.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stderr.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    listen(sys.stdin, sys.stdout, sys.stderr)
