"""The event catalogue: docs/asyncapi.yaml (AsyncAPI 3.0) and the READMEs' event tables, written
from the pydantic models the services publish and read (`python -m finhub_dev.asyncapi`).

Every message on `finhub.events` is listed once here with the model of its `data`; the consuming
queues come from the workers' own subscriptions, the provider events from
`finhub_shared.catalogue`. tests/test_asyncapi.py fails when the committed files differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from banking import consumer as banking_consumer
from banking import publishing as banking_publishing
from banking.exports.schemas import ExportRequested
from billing import consumer as billing_consumer
from billing import publishing as billing_publishing
from billing.entitlements.schemas import EntitlementsChanged
from billing.exports.schemas import CompanyExported
from billing.notifications.schemas import NotificationRequested
from finhub_shared.bus import ConsumerQueue
from finhub_shared.bus.outcomes import OUTCOME_ROUTING_KEY, Outcomes
from finhub_shared.catalogue import ROUTES, Route
from finhub_shared.events import EXCHANGE, EventEnvelope
from live import consumer as live_consumer
from live.events.schemas import CONTRACTS
from webhook_gateway import consumer as gateway_consumer
from webhook_gateway import publishing as gateway_publishing
from webhook_gateway.erasure.schemas import BankingErased

DOCUMENT = Path("docs/asyncapi.yaml")
READMES = (
    Path("README.md"),
    Path("services/billing/README.md"),
    Path("services/banking/README.md"),
)
SERVICES = ("banking", "billing", "live", "webhook-gateway")
# `bus`: the outcomes every consumer reports (finhub_shared.bus.outcomes), not one service's.
SOURCES = {
    "banking": "banking",
    "billing": "billing",
    "gateway": "webhook-gateway",
    "bus": "consumers",
}
QUEUES: dict[str, tuple[ConsumerQueue, ...]] = {
    service: tuple(subscription.queue for subscription in consumer.SUBSCRIPTIONS)
    for service, consumer in (
        ("banking", banking_consumer),
        ("billing", billing_consumer),
        ("live", live_consumer),
        ("webhook-gateway", gateway_consumer),
    )
}
_REF = "#/components/schemas/{model}"
_AMQP = "0.3.0"


@dataclass(frozen=True)
class Message:
    """One routing key of our own services and the model of its `data`."""

    routing_key: str
    model: type[BaseModel]
    summary: str

    @property
    def publisher(self) -> str:
        return SOURCES[self.routing_key.split(".", 1)[0]]


# The model is the publisher's where it builds the data through one, else the consumer's.
OWN: tuple[Message, ...] = (
    Message(
        "billing.entitlements.changed",
        EntitlementsChanged,
        "A full snapshot of what a company may use; `version` grows by one per company.",
    ),
    Message(
        "billing.company.deletion_requested",
        billing_publishing.DeletionRequested,
        "An owner deleted the company: banking and the gateway erase their part.",
    ),
    Message(
        "billing.company.export_requested",
        ExportRequested,
        "An owner asked for an export: banking answers `banking.company.exported`.",
    ),
    Message(
        "banking.usage.changed",
        banking_publishing.UsageChanged,
        "A month's transactions and the active bank accounts, against the plan in force.",
    ),
    Message(
        "banking.notification.requested",
        NotificationRequested,
        "Banking asks billing to notify the company's users (extra fields are kept as details).",
    ),
    Message(
        "banking.sync.requested",
        banking_publishing.SyncRequested,
        "A sync job to run (banking's own work queue).",
    ),
    Message(
        "banking.insights.requested",
        banking_publishing.InsightsRequested,
        "Compute a company's insights (banking's own work queue).",
    ),
    Message(
        "banking.company.exported",
        CompanyExported,
        "Banking's files of a company's export, each gzipped then base64.",
    ),
    Message(
        "banking.company.erased",
        BankingErased,
        "Banking erased a deleted company; the gateway purges these items' webhooks.",
    ),
    Message(
        "gateway.company.erased",
        gateway_publishing.CompanyErased,
        "The gateway purged the stored webhooks naming a deleted company.",
    ),
    Message(
        OUTCOME_ROUTING_KEY,
        Outcomes,
        "What became of provider events on their consuming queues, a consumer's batch; the "
        "gateway records their fates.",
    ),
    *(
        Message(
            key,
            contract.model,
            f"For the live stream: SSE event `{contract.name}`."
            if contract.shown
            else "For the live stream, never shown: ends the user's streams.",
        )
        for key, contract in CONTRACTS.items()
    ),
)


def binds(binding_key: str, routing_key: str) -> bool:
    """Whether a topic binding (`*` one word, `#` any number of words) takes this routing key."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        head, rest = pattern[0], pattern[1:]
        if head == "#":
            return any(match(rest, words[skip:]) for skip in range(len(words) + 1))
        return bool(words) and head in ("*", words[0]) and match(rest, words[1:])

    return match(binding_key.split("."), routing_key.split("."))


def consumers(routing_key: str) -> list[tuple[str, ConsumerQueue]]:
    """The services' queues that take this routing key, by service then queue."""
    return [
        (service, queue)
        for service in SERVICES
        for queue in QUEUES[service]
        if any(binds(binding, routing_key) for binding in queue.binding_keys)
    ]


def _provider_schema(route: Route) -> tuple[str, dict[str, Any]]:
    """The name and schema of a provider's body: only what the gateway checks, the rest open."""
    if route.source == "stripe":
        name = f"StripeEvent.{route.stripe_object}"
        return name, {
            "type": "object",
            "description": f"Stripe's event about a `{route.stripe_object}`, untouched.",
            "required": ["id", "object", "type", "created", "livemode", "data"],
            "properties": {
                "id": {"type": "string", "pattern": "^evt_"},
                "object": {"const": "event"},
                "type": {"type": "string"},
                "created": {"type": "integer"},
                "livemode": {"type": "boolean"},
                "data": {
                    "type": "object",
                    "required": ["object"],
                    "properties": {
                        "object": {
                            "type": "object",
                            "required": ["object"],
                            "properties": {"object": {"const": route.stripe_object}},
                        }
                    },
                },
            },
        }
    required = ["event", "eventId", *route.pluggy_fields]
    name = ".".join(("PluggyEvent", *route.pluggy_fields))
    return name, {
        "type": "object",
        "description": "Pluggy's webhook body, untouched.",
        "required": required,
        "properties": {"event": {"type": "string"}, **{field: {} for field in required[1:]}},
    }


def _payload(source: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": _REF.format(model="EventEnvelope")},
            {
                "type": "object",
                "properties": {
                    "source": {"const": source},
                    "type": {"const": event_type},
                    "data": data,
                },
            },
        ]
    }


def _schemas() -> tuple[dict[str, Any], dict[type[BaseModel], dict[str, Any]]]:
    models: list[type[BaseModel]] = [EventEnvelope, *(message.model for message in OWN)]
    unique = sorted(set(models), key=lambda model: f"{model.__module__}.{model.__qualname__}")
    refs, top = models_json_schema([(model, "validation") for model in unique], ref_template=_REF)
    return top["$defs"], {model: ref for (model, _), ref in refs.items() if model in unique}


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every message on the exchange."""
    schemas, refs = _schemas()
    entries: list[tuple[str, str, str, dict[str, Any], str]] = []
    for route in ROUTES:
        summary = f"{route.source.capitalize()}'s `{route.event_type}`, relayed by the gateway."
        name, schemas[name] = _provider_schema(route)
        data = {"$ref": _REF.format(model=name)}
        entries.append((route.routing_key, "webhook-gateway", route.event_type, data, summary))
    for own in OWN:
        source, event_type = own.routing_key.split(".", 1)
        entries.append((own.routing_key, own.publisher, event_type, refs[own.model], own.summary))
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for key, publisher, event_type, data, summary in sorted(entries):
        source = key.split(".", 1)[0]
        messages[key] = {
            "name": key,
            "summary": summary,
            "contentType": "application/json",
            "payload": _payload(source, event_type, data),
        }
        channels[key] = {
            "address": key,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"$ref": "#/components/channelBindings/exchange"},
        }
        sent = {"$ref": f"#/channels/{key}"}
        message = [{"$ref": f"#/channels/{key}/messages/{key}"}]
        operations[f"{publisher}.send.{key}"] = {
            "action": "send",
            "channel": sent,
            "summary": (
                "Every consumer reports it, best-effort, with no outbox."
                if key == OUTCOME_ROUTING_KEY
                else f"{publisher} publishes it through its outbox."
            ),
            "messages": message,
        }
        for service, queue in consumers(key):
            operations[f"{queue.name}.receive.{key}"] = {
                "action": "receive",
                "channel": sent,
                "summary": f"{service} consumes it on `{queue.name}`.",
                "messages": message,
                "x-queue": {"name": queue.name, "bindingKeys": list(queue.binding_keys)},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Finance Hub events",
            "version": "1.0.0",
            "description": (
                f"Every message on the topic exchange `{EXCHANGE}`: one JSON envelope whose "
                "`data` is described per routing key. Generated by "
                "`python -m finhub_dev.asyncapi`; do not edit."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": dict(sorted(operations.items())),
        "components": {
            "channelBindings": {
                "exchange": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {"name": EXCHANGE, "type": "topic", "durable": True},
                        "bindingVersion": _AMQP,
                    }
                }
            },
            "messages": messages,
            "schemas": dict(sorted(schemas.items())),
        },
    }


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _key(key: str) -> str:
    plain = _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS
    return key if plain else json.dumps(key, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if value == {}:
        return "{}"
    if value == []:
        return "[]"
    return json.dumps(value, ensure_ascii=False)


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, dict | list) or not value


def _yaml(value: Any, depth: int = 0) -> list[str]:
    pad = "  " * depth
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            if _is_leaf(item):
                lines.append(f"{pad}{_key(key)}: {_scalar(item)}")
            else:
                lines += [f"{pad}{_key(key)}:", *_yaml(item, depth + 1)]
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if _is_leaf(item):
                lines.append(f"{pad}- {_scalar(item)}")
            else:
                first, *rest = _yaml(item, depth + 1)
                lines += [f"{pad}- {first.lstrip()}", *rest]
        return lines
    return [pad + _scalar(value)]


def render(doc: dict[str, Any]) -> str:
    """The document as YAML: block style, every string quoted, in the document's own order."""
    return (
        "# Generated by `python -m finhub_dev.asyncapi`: do not edit.\n"
        + "\n".join(_yaml(doc))
        + "\n"
    )


def _object(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema `schema` is, refers to or may be (beside null), if any."""
    for option in [schema, *schema.get("anyOf", ())]:
        if "$ref" in option:
            option = schemas[option["$ref"].rsplit("/", 1)[1]]
        if "properties" in option:
            found: dict[str, Any] = option
            return found
    return None


def _fields(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> str:
    """`name`, `optional`?, `nested` {`field`, ...}: an object's fields, one level down."""
    found = _object(schema, schemas)
    if found is None:
        return ""
    required = set(found.get("required", ()))
    names = []
    for name, field in found["properties"].items():
        nested = _fields(field, schemas, depth + 1) if depth == 0 else ""
        mark = "" if name in required else "?"
        names.append(f"`{name}`{mark}" + (f" {{{nested}}}" if nested else ""))
    return ", ".join(names)


def _table(doc: dict[str, Any], keys: Iterable[str]) -> list[str]:
    schemas = doc["components"]["schemas"]
    rows = ["| routing key | published by | consumed on | data |", "|---|---|---|---|"]
    for key in keys:
        data = doc["components"]["messages"][key]["payload"]["allOf"][1]["properties"]["data"]
        queues = ", ".join(f"`{queue.name}`" for _, queue in consumers(key)) or "none"
        publisher = SOURCES[key.split(".", 1)[0]]
        rows.append(f"| `{key}` | {publisher} | {queues} | {_fields(data, schemas)} |")
    return rows


_MARKED = re.compile(
    r"(<!-- events:(?P<what>[a-z-]+) (?P<service>[a-z-]+) -->\n).*?(<!-- events:end -->)",
    re.DOTALL,
)


def _section(doc: dict[str, Any], what: str, service: str) -> list[str]:
    own = [key for key in doc["channels"] if key.split(".", 1)[0] in SOURCES]
    if what == "published":
        return _table(doc, [key for key in own if SOURCES[key.split(".", 1)[0]] == service])
    if what == "consumed":
        taken = [key for key in own if any(s == service for s, _ in consumers(key))]
        return _table(doc, taken)
    raise ValueError(f"unknown events section: {what}")


def readme(text: str, doc: dict[str, Any]) -> str:
    """`text` with every `<!-- events:published|consumed <service> -->` section written again."""

    def fill(match: re.Match[str]) -> str:
        table = "\n".join(_section(doc, match["what"], match["service"]))
        return f"{match.group(1)}{table}\n{match.group(4)}"

    return _MARKED.sub(fill, text)


def outputs(root: Path) -> dict[Path, str]:
    """Every generated file under `root` and what it must hold."""
    doc = document()
    written = {DOCUMENT: render(doc)}
    for path in READMES:
        written[path] = readme((root / path).read_text(encoding="utf-8"), doc)
    return written


app = typer.Typer(help="Write docs/asyncapi.yaml and the READMEs' event tables from the models.")


@app.command()
def write(
    check: bool = typer.Option(False, "--check", help="Only fail when a file is out of date."),
) -> None:
    """Write the event catalogue under the current directory (the repository's root), or with
    --check fail when it is out of date."""
    root = Path.cwd()
    written = outputs(root)
    stale = [path for path, text in written.items() if _read(root / path) != text]
    if check:
        for path in stale:
            typer.echo(f"out of date: {path} (run python -m finhub_dev.asyncapi)", err=True)
        raise typer.Exit(1 if stale else 0)
    for path in stale:
        (root / path).write_text(written[path], encoding="utf-8")
        typer.echo(f"written: {path}")


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    app()
