"""`make lint`'s check of what ruff cannot see: domain code never commits, and every error class
lives in an errors.py.

The edge owns the transaction (CONTRIBUTING.md): a request's `DbSession` dependency or a message's
inbox dispatcher commits it, with the outbox rows of what it publishes. So no module of a service
calls `.commit(...)`, except the edges that own a transaction: `dependencies.py`, and the process
entry points `main.py`, `consumer.py`, `cli.py` and `commands.py`. libs/ is not domain code.

An exception class (one whose base is `Exception`, a built-in `...Error`, or a class an errors.py
defines) is declared in an `errors.py`, in services and libs alike, so a package's errors are
found in one place.

Usage: check_domain_rules.py [SOURCE_DIR...] (default: every services/*/src and libs/*/src).
Names each finding as path:line and exits 1 when there is any.
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


def _base_names(node: ast.ClassDef) -> set[str]:
    return {
        base.id if isinstance(base, ast.Name) else base.attr
        for base in node.bases
        if isinstance(base, ast.Name | ast.Attribute)
    }


def _classes(path: Path) -> list[ast.ClassDef]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


def _is_error_base(name: str) -> bool:
    return name.endswith(("Error", "Exception")) or name == "BaseException"


def stray_error_classes(sources: Sequence[Path]) -> Iterator[tuple[Path, int, str]]:
    """Each exception class declared outside an errors.py: its module, line and name."""
    classes = [
        (path, node)
        for source in sources
        for path in sorted(source.rglob("*.py"))
        for node in _classes(path)
    ]
    # Our own exception classes, found by following their bases down to an ...Error/Exception.
    errors: set[str] = set()
    while True:
        more = {
            node.name
            for _, node in classes
            if any(_is_error_base(base) or base in errors for base in _base_names(node))
        }
        if more <= errors:
            break
        errors |= more
    for path, node in classes:
        bases = _base_names(node)
        if path.name != "errors.py" and any(_is_error_base(b) or b in errors for b in bases):
            yield path, node.lineno, node.name


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(arguments: Sequence[str]) -> int:
    sources = [Path(argument) for argument in arguments] or sorted(
        [*ROOT.glob("services/*/src"), *ROOT.glob("libs/*/src")]
    )
    service_sources = [source for source in sources if not source.is_relative_to(ROOT / "libs")]
    found = 0
    for path in domain_modules(service_sources):
        for line in commit_calls(path):
            found += 1
            print(f"{_shown(path)}:{line}: .commit() in domain code; the edge owns the transaction")
    for path, line, name in stray_error_classes(sources):
        found += 1
        print(f"{_shown(path)}:{line}: error class {name} outside an errors.py")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
