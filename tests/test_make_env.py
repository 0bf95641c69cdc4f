"""`scripts/make_env.py`: a new `.env` gets fresh secrets; an existing one keeps its values and
gains the settings `.env.example` added since."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_env.py"
EXAMPLE = """# The database
BILLING_DATABASE_URL=postgresql://billing@127.0.0.1/finhub_billing
# A secret
ADMIN_TOKEN=change-me
# A setting added later
LIVE_PORT=8004
"""


def make_env(root: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=True
    )
    return result.stdout


def settings(root: Path) -> dict[str, str]:
    lines = (root / ".env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_a_new_env_gets_every_setting_and_a_fresh_secret(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)

    make_env(tmp_path)

    written = settings(tmp_path)
    assert set(written) == {"BILLING_DATABASE_URL", "ADMIN_TOKEN", "LIVE_PORT"}
    assert written["ADMIN_TOKEN"] != "change-me"
    assert len(written["ADMIN_TOKEN"]) >= 32


def test_an_existing_env_keeps_its_values_and_gains_what_the_example_added(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    (tmp_path / ".env").write_text(
        "BILLING_DATABASE_URL=postgresql://mine@db/billing\nADMIN_TOKEN=my-own-token\n"
    )

    said = make_env(tmp_path)
    again = make_env(tmp_path)

    assert settings(tmp_path) == {
        "BILLING_DATABASE_URL": "postgresql://mine@db/billing",
        "ADMIN_TOKEN": "my-own-token",
        "LIVE_PORT": "8004",
    }
    assert "LIVE_PORT" in said
    assert again == ""


def test_a_retired_default_is_replaced_and_a_value_of_ones_own_stays(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "BILLING_PORTAL_RETURN_URL=http://127.0.0.1:8080/app/subscription\n"
        "BILLING_CHECKOUT_CANCEL_URL=http://127.0.0.1:8080/app/subscription?checkout=cancelled\n"
    )
    (tmp_path / ".env").write_text(
        "BILLING_PORTAL_RETURN_URL=http://localhost:3000/settings/billing\n"
        "BILLING_CHECKOUT_CANCEL_URL=http://127.0.0.1:5173/cancelled\n"
    )

    said = make_env(tmp_path)

    assert settings(tmp_path) == {
        "BILLING_PORTAL_RETURN_URL": "http://127.0.0.1:8080/app/subscription",
        "BILLING_CHECKOUT_CANCEL_URL": "http://127.0.0.1:5173/cancelled",
    }
    assert "BILLING_PORTAL_RETURN_URL" in said
    assert make_env(tmp_path) == ""
