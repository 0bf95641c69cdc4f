"""The chaos system runs beside a developer's `make run`: every process it starts listens on a
port of its own block and calls only this run's processes."""

from __future__ import annotations

import re
from dataclasses import astuple
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from console.config import ConsoleSettings

from .system import ROOT, Ports, System

LOOPBACK_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost):(\d+)")


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return System(tmp_path, Ports()).environment()


def make_run_ports() -> dict[str, int]:
    """Each port `make run` listens on, by its variable: .env.example's *_PORT and supervisord's
    worker ports (WORKER_METRICS_PORT=0, no port, is left out)."""
    example = (ROOT / ".env.example").read_text()
    supervisord = (ROOT / "deploy" / "supervisor" / "supervisord.conf").read_text()
    ports = re.findall(r"^(\w+_PORT)=(\d+)$", example, re.MULTILINE)
    ports += re.findall(r"(\w+_WORKER_METRICS_PORT):-(\d+)", supervisord)
    return {variable: int(port) for variable, port in ports if int(port)}


def test_the_block_is_clear_of_every_port_make_run_uses() -> None:
    assert make_run_ports()["CONSOLE_PORT"] == 8080
    assert make_run_ports()["BANKING_WORKER_METRICS_PORT"] == 9102
    assert set(make_run_ports().values()).isdisjoint(astuple(Ports()))


def test_every_port_setting_is_one_of_the_block(environment: dict[str, str]) -> None:
    for variable in make_run_ports():
        assert int(environment[variable]) in astuple(Ports()), variable


def test_every_local_url_names_a_port_of_the_block(environment: dict[str, str]) -> None:
    block = set(astuple(Ports()))
    for variable, value in environment.items():
        for port in LOOPBACK_URL.findall(value):
            assert int(port) in block, variable


def test_the_console_is_given_every_setting_that_defaults_to_make_runs_processes(
    environment: dict[str, str],
) -> None:
    targets = dict(t.split("=", 1) for t in environment["CONSOLE_HEALTH_TARGETS"].split(","))
    assert "gateway-admin" in targets
    assert "banking-worker" in targets
    for name, field in ConsoleSettings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if "127.0.0.1" in str(default):
            assert field.validation_alias in environment, name
    assert urlsplit(environment["CONSOLE_BILLING_URL"]).port == Ports().billing
