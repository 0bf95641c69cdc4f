"""The metric names our processes export, and those a PromQL expression selects: what the
dashboards' and the alert rules' tests hold each other to."""

from __future__ import annotations

import importlib
import re

import prometheus_client

# Every service's API (main) and worker (consumer): importing them registers all their metrics.
SERVICE_MODULES = [
    f"{package}.{module}"
    for package in ("webhook_gateway", "billing", "banking", "live")
    for module in ("main", "consumer")
]

# What Prometheus gets from RabbitMQ's own exporter (rabbitmq_prometheus, per object), not from us.
RABBITMQ_METRICS = frozenset(
    {"rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked", "rabbitmq_queue_consumers"}
)

# What a family of each type is exposed as (prometheus_client's text format).
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "gauge": ("",),
    "info": ("_info",),
}

# PromQL words that read like identifiers but name no metric.
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
    | {"and", "or", "unless", "inf", "nan"}
)
# Removed before looking for names: strings, ranges and label matchers, label lists of grouping
# and matching modifiers, Grafana's variables.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BRACKETS = re.compile(r"\[[^\]]*\]|\{[^}]*\}")
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def metric_names(expression: str) -> set[str]:
    """The metric names an expression selects: identifiers that are not called (functions,
    aggregations) and are not keywords."""
    text = _VARIABLE.sub("", _STRING.sub('""', expression))
    text = _LABEL_LIST.sub("", _BRACKETS.sub("", text))
    return {
        name
        for name, call in _IDENTIFIER.findall(text)
        if not call and name.lower() not in KEYWORDS
    }


def exported_names() -> set[str]:
    """Every series name our processes expose, from the default registry."""
    for module in SERVICE_MODULES:
        importlib.import_module(module)
    names: set[str] = set()
    for family in prometheus_client.REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def histogram_names() -> set[str]:
    exported_names()
    return {f.name for f in prometheus_client.REGISTRY.collect() if f.type == "histogram"}
