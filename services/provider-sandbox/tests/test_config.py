"""The sandbox's settings: it stands in for Stripe and Pluggy, so it never serves production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_refuses_to_start_in_production_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "finhub-sandbox"), "serve", "--port", "1"],
        cwd=tmp_path,  # no .env there
        env=os.environ | {"ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "provider-sandbox refuses to start: ENVIRONMENT: Value error, the provider sandbox is "
        "a test double and never runs in production"
    ]
