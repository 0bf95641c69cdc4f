"""deploy/prometheus: every alert queries metrics the code really exports, says how bad it is and
what to do, and has promtool tests (run by scripts/promtool.sh); Prometheus scrapes every process
docker compose runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .exported_metrics import exported_names, metric_names

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"

# Series Prometheus gets elsewhere: `up` it writes for every scrape; the others come from
# RabbitMQ's own exporter (rabbitmq_prometheus, per object).
EXTERNAL = frozenset({"up", "rabbitmq_queue_messages_ready", "rabbitmq_queue_consumers"})
SEVERITIES = frozenset({"critical", "warning", "info"})


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alerts() -> list[dict[str, Any]]:
    groups = load(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_every_alert_names_only_metrics_the_code_exports() -> None:
    exported = exported_names()

    unknown = {
        rule["alert"]: sorted(metric_names(rule["expr"]) - exported - EXTERNAL) for rule in alerts()
    }

    assert {alert: names for alert, names in unknown.items() if names} == {}
    assert all(metric_names(rule["expr"]) for rule in alerts())


def test_every_alert_says_how_bad_it_is_and_what_to_do() -> None:
    for rule in alerts():
        runbook = rule["annotations"]["runbook"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert set(rule["annotations"]) == {"summary", "runbook"}, rule["alert"]
        # A runbook names the make target or command that helps.
        assert "`make " in runbook or "`finhub-" in runbook, rule["alert"]


def test_every_alert_has_a_test_where_it_fires_and_one_where_it_stays_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in sorted((PROMETHEUS / "tests").glob("*.yml")):
        document = load(path)
        assert document["rule_files"] == ["../alerts.yml"], path.name
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else quiet).add(case["alertname"])

    names = {rule["alert"] for rule in alerts()}
    assert names - firing == set()
    assert names - quiet == set()
    assert (firing | quiet) - names == set()


def test_prometheus_scrapes_every_process_compose_runs_and_loads_the_alerts() -> None:
    config = load(PROMETHEUS / "prometheus.yml")
    compose = load(ROOT / "docker-compose.yml")["services"]
    # What serves /metrics: every API and worker built from our image, not the one-shot
    # migrations nor the provider sandbox.
    serving = {
        name
        for name, service in compose.items()
        if str(service.get("image", "")).startswith("finhub/")
        and not name.endswith("-migrate")
        and name != "sandbox"
    }

    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == serving | {"rabbitmq"}
    for name in serving:
        [target] = [t for c in jobs[name]["static_configs"] for t in c["targets"]]
        port = "9100" if name.endswith("-worker") else compose[name]["ports"][0].rsplit(":", 1)[1]
        assert target == f"{name}:{port}"
    assert config["rule_files"] == ["alerts.yml"]
    assert (
        "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro"
        in (compose["prometheus"]["volumes"])
    )
