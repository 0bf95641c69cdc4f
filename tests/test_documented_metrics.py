"""Every metric the READMEs name is exported: by the service's API (its /metrics, scraped through
its ASGI app) or by its worker (the registry its WORKER_METRICS_PORT /metrics serves)."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import prometheus_client
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

import banking.main
import billing.main
import live.main
import webhook_gateway.main

ROOT = Path(__file__).resolve().parents[1]

APPS: dict[str, Callable[[], FastAPI]] = {
    "webhook_gateway": webhook_gateway.main.create_app,
    "billing": billing.main.create_app,
    "banking": banking.main.create_app,
    "live": live.main.create_app,
}
# Each README and the packages whose processes export what it names (the root README: any).
READMES = {
    "README.md": tuple(APPS),
    "services/billing/README.md": ("billing",),
    "services/banking/README.md": ("banking",),
}

# A metric as the READMEs write it: `name` or `name{labels}`, in a section titled Metrics.
_METRIC = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\{[^`]*\})?`")
_HEADING = re.compile(r"^(#+)\s+(.*)$")
# A family's HELP line in Prometheus's text format names the series (counters end in _total).
_HELP = re.compile(r"^# HELP (\S+) ", re.MULTILINE)


def documented(readme: str) -> set[str]:
    """The metric names in the README's Metrics sections (any heading level)."""
    names: set[str] = set()
    level = 0  # of the Metrics heading we are under; 0: not under one
    for line in (ROOT / readme).read_text().splitlines():
        heading = _HEADING.match(line)
        if heading and (level == 0 or len(heading.group(1)) <= level):
            level = len(heading.group(1)) if heading.group(2).strip() == "Metrics" else 0
        elif level:
            names.update(_METRIC.findall(line))
    return names


def families(exposition: str) -> set[str]:
    """The family names a /metrics page declares, with their histogram/counter name as written."""
    return {name.removesuffix("_created") for name in _HELP.findall(exposition)}


def worker_families(package: str) -> set[str]:
    """What the package's worker serves: its consumer module's registry, as /metrics writes it."""
    importlib.import_module(f"{package}.consumer")
    return families(prometheus_client.generate_latest().decode())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def exported() -> AsyncIterator[dict[str, set[str]]]:
    """Per package, the families its API's /metrics and its worker's registry expose."""
    found: dict[str, set[str]] = {}
    for package, create_app in APPS.items():
        app = create_app()
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.get("/metrics")
        assert response.status_code == 200, response.text
        found[package] = families(response.text) | worker_families(package)
    yield found


def test_the_readme_parser_finds_names_in_metrics_sections_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "## Other\n`not_this_total`\n## Metrics\nsee `a_total{x}` and `b_seconds`, "
        '`SOME_SETTING`, `provider="x"`\n### Detail\n`c_open`\n## Next\n`nor_this`\n'
    )
    assert documented(str(readme)) == {"a_total", "b_seconds", "c_open"}


@pytest.mark.parametrize("readme", READMES)
def test_a_readme_names_metrics(readme: str) -> None:
    assert documented(readme), f"{readme} has no metric in a Metrics section"


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("readme", READMES)
async def test_every_metric_a_readme_names_is_exported(
    exported: dict[str, set[str]], readme: str
) -> None:
    available = set().union(*(exported[package] for package in READMES[readme]))
    missing = documented(readme) - available
    assert not missing, f"{readme} names metrics nobody exports: {sorted(missing)}"
