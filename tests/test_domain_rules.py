"""`scripts/check_domain_rules.py`, run by `make lint`: a commit in domain code fails it, one at an
edge does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_domain_rules.py"


def check(source: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(source)], capture_output=True, text=True, check=False
    )


def test_a_commit_in_a_service_module_is_named_with_its_line(tmp_path: Path) -> None:
    concept = tmp_path / "shop" / "orders"
    concept.mkdir(parents=True)
    (concept / "service.py").write_text(
        "async def place(session):\n    session.add(1)\n    await session.commit()\n"
    )

    result = check(tmp_path)

    assert result.returncode == 1
    assert f"{concept / 'service.py'}:3: .commit() in domain code" in result.stdout


def test_edges_may_commit(tmp_path: Path) -> None:
    concept = tmp_path / "shop" / "orders"
    concept.mkdir(parents=True)
    for edge in ("dependencies.py", "cli.py", "commands.py"):
        (concept / edge).write_text("async def run(session):\n    await session.commit()\n")
    (concept / "repository.py").write_text("async def save(session):\n    await session.flush()\n")

    result = check(tmp_path)

    assert (result.returncode, result.stdout) == (0, "")


def test_an_error_class_outside_errors_py_is_named_and_one_inside_is_not(tmp_path: Path) -> None:
    concept = tmp_path / "shop" / "orders"
    concept.mkdir(parents=True)
    (concept / "errors.py").write_text(
        "class OrderError(Exception):\n    pass\n\n\nclass OrderBody:\n    pass\n"
    )
    (concept / "service.py").write_text(
        "class OutOfStock(OrderError):\n    pass\n\n\n"
        "class Lost(RuntimeError):\n    pass\n\n\n"
        "class Shape(OrderBody):\n    pass\n"
    )

    result = check(tmp_path)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{concept / 'service.py'}:1: error class OutOfStock outside an errors.py",
        f"{concept / 'service.py'}:5: error class Lost outside an errors.py",
    ]
