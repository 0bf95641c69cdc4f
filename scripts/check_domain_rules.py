"""`make lint`'s check of what ruff cannot see: domain code never commits.

The edge owns the transaction (CONTRIBUTING.md): a request's `DbSession` dependency or a message's
inbox dispatcher commits it, with the outbox rows of what it publishes. So no module of a service
calls `.commit(...)`, except the edges that own a transaction: `dependencies.py`, and the process
entry points `main.py`, `consumer.py`, `cli.py` and `commands.py`. libs/ is not domain code.

Usage: check_domain_rules.py [SOURCE_DIR...] (default: every services/*/src). Names each call as
path:line and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDGE_MODULES = frozenset({"dependencies.py", "main.py", "consumer.py", "cli.py", "commands.py"})


def domain_modules(sources: Sequence[Path]) -> Iterator[Path]:
    """Every Python module under `sources` that is not an edge."""
    for source in sources:
        for path in sorted(source.rglob("*.py")):
            if path.name not in EDGE_MODULES:
                yield path


def commit_calls(path: Path) -> Iterator[int]:
    """The line of each `<anything>.commit(...)` call in the module."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
        ):
            yield node.lineno


def main(arguments: Sequence[str]) -> int:
    sources = [Path(argument) for argument in arguments] or sorted(ROOT.glob("services/*/src"))
    found = 0
    for path in domain_modules(sources):
        for line in commit_calls(path):
            found += 1
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{shown}:{line}: .commit() in domain code; the edge owns the transaction")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
