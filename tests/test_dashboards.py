"""The Grafana dashboards in deploy/grafana load in Grafana's provisioning format, and every query
names a metric the code really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .exported_metrics import RABBITMQ_METRICS, exported_names, histogram_names, metric_names

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows included."""
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(dashboard) for t in p.get("targets", []) if "expr" in t]


def provisioned_datasource() -> dict[str, Any]:
    documents = [
        yaml.safe_load(path.read_text())
        for path in sorted((GRAFANA / "provisioning" / "datasources").glob("*.yml"))
    ]
    sources = [source for document in documents for source in document["datasources"]]
    prometheus = [source for source in sources if source["type"] == "prometheus"]
    assert len(prometheus) == 1, prometheus
    source: dict[str, Any] = prometheus[0]
    return source


def test_the_tokenizer_finds_names_and_skips_functions_labels_and_variables() -> None:
    expression = (
        "histogram_quantile(0.95, sum by (le, provider) (rate(provider_request_duration_seconds"
        '_bucket{provider="stripe", outcome!~"a|b"}[$__rate_interval]))) / on (job) '
        "group_left outbox_backlog > bool 1e3 and up"
    )
    assert metric_names(expression) == {
        "provider_request_duration_seconds_bucket",
        "outbox_backlog",
        "up",
    }


def test_there_are_dashboards_with_unique_uids() -> None:
    assert DASHBOARDS
    uids = [load(path)["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    assert all(0 < len(uid) <= 40 for uid in uids)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_a_dashboard_is_in_grafanas_model(path: Path) -> None:
    dashboard = load(path)
    for key in ("uid", "title", "schemaVersion", "panels", "templating", "time"):
        assert key in dashboard, key
    assert dashboard["schemaVersion"] >= 39
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(set(ids)) == len(ids), "panel ids repeat"
    for panel in panels(dashboard):
        assert {"type", "title", "gridPos"} <= panel.keys(), panel.get("title")
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        refs = [target["refId"] for target in panel.get("targets", [])]
        assert len(set(refs)) == len(refs), panel["title"]
        assert panel["type"] == "row" or panel.get("targets"), panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_panel_queries_the_provisioned_prometheus(path: Path) -> None:
    """By the dashboard's datasource variable, whose default is the provisioned uid."""
    uid = provisioned_datasource()["uid"]
    dashboard = load(path)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        for source in [panel["datasource"], *(t.get("datasource") for t in panel["targets"])]:
            if source is None:
                continue
            assert source["type"] == "prometheus", panel["title"]
            variable = re.fullmatch(r"\$\{?(\w+)\}?", source["uid"])
            if variable is None:
                assert source["uid"] == uid, panel["title"]
                continue
            declared = variables[variable.group(1)]
            assert declared["type"] == "datasource"
            assert declared["query"] == "prometheus"
            assert declared["current"]["value"] == uid


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_query_names_an_exported_metric(path: Path) -> None:
    exported = exported_names() | RABBITMQ_METRICS
    histograms = histogram_names()
    for expression in expressions(load(path)):
        names = metric_names(expression)
        assert names, expression
        assert names <= exported, f"{sorted(names - exported)} in {expression}"
        for name in names:
            # A histogram is read by its buckets through histogram_quantile, or by _sum/_count.
            if name.endswith("_bucket") and name.removesuffix("_bucket") in histograms:
                assert "histogram_quantile(" in expression, expression


def test_the_dashboards_show_what_operators_asked_for() -> None:
    """Webhooks in and rejected, publishing, queues, syncs, subscriptions, providers, outbox."""
    queries = [expression for path in DASHBOARDS for expression in expressions(load(path))]
    shown = {name for expression in queries for name in metric_names(expression)}
    assert {
        "webhooks_accepted_total",
        "webhooks_rejected_total",
        "bus_publish_seconds_bucket",
        "rabbitmq_queue_messages_ready",
        "bus_messages_consumed_total",
        "banking_sync_jobs_total",
        "banking_sync_duration_seconds_bucket",
        "billing_subscriptions_entering_total",
        "billing_payments_entering_total",
        "provider_requests_total",
        "provider_request_duration_seconds_bucket",
        "provider_circuit_open",
        "outbox_backlog",
    } <= shown


def test_grafana_provisions_the_dashboards_and_prometheus() -> None:
    source = provisioned_datasource()
    assert {"name", "uid", "type", "url", "access"} <= source.keys()
    providers = [
        provider
        for path in sorted((GRAFANA / "provisioning" / "dashboards").glob("*.yml"))
        for provider in yaml.safe_load(path.read_text())["providers"]
    ]
    assert len(providers) == 1
    provider = providers[0]
    assert provider["type"] == "file"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in grafana["volumes"]}
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in grafana["depends_on"]
    assert "prometheus" in compose["services"]
