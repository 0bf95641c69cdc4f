"""docs/asyncapi.yaml is the models' (regenerating it changes nothing), is a well-formed AsyncAPI
3.0 document, and lists every routing key the services publish or bind."""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from finhub_dev.asyncapi import DOCUMENT, QUEUES, binds, document, outputs

ROOT = Path(__file__).resolve().parents[1]
PUBLISHERS = {"banking": "banking", "billing": "billing", "webhook_gateway": "gateway"}
COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")
JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every subschema of a JSON schema, where keywords hold schemas."""
    yield node
    for key in ("properties", "patternProperties", "$defs"):
        for sub in node.get(key, {}).values():
            yield from _schemas(sub)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(node.get(key), dict):
            yield from _schemas(node[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            yield from _schemas(sub)


def test_the_committed_catalogue_is_the_models() -> None:
    stale = [str(path) for path, text in outputs(ROOT).items() if (ROOT / path).read_text() != text]

    assert stale == [], "run: .venv/bin/python -m finhub_dev.asyncapi"


def test_the_yaml_reads_back_as_the_document(doc: dict[str, Any]) -> None:
    assert yaml.safe_load((ROOT / DOCUMENT).read_text()) == json.loads(json.dumps(doc))


def test_the_document_has_what_asyncapi_3_requires(doc: dict[str, Any]) -> None:
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    for kind, components in doc["components"].items():
        assert all(COMPONENT_KEY.match(key) for key in components), kind
    for key, channel in doc["channels"].items():
        assert COMPONENT_KEY.match(key)
        assert channel["address"] == key
        assert channel["messages"]
    for key, operation in doc["operations"].items():
        assert COMPONENT_KEY.match(key)
        assert operation["action"] in ("send", "receive")
        channel_ref = operation["channel"]["$ref"]
        # An operation's messages are its channel's (the spec's rule).
        assert all(m["$ref"].startswith(channel_ref + "/messages/") for m in operation["messages"])


def test_every_ref_in_the_document_resolves(doc: dict[str, Any]) -> None:
    for ref in _refs(doc):
        _resolve(doc, ref)


def test_every_message_payload_is_a_json_schema(doc: dict[str, Any]) -> None:
    for name, message in doc["components"]["messages"].items():
        assert message["contentType"] == "application/json"
        for schema in _schemas(message["payload"]):
            if "$ref" in schema:
                schema = _resolve(doc, schema["$ref"])
                for sub in _schemas(schema):
                    types = sub.get("type", [])
                    assert set(types if isinstance(types, list) else [types]) <= JSON_TYPES, name
            assert isinstance(schema.get("required", []), list), name


def test_every_channel_is_published_and_consumed(doc: dict[str, Any]) -> None:
    actions = {key: set[str]() for key in doc["channels"]}
    for operation in doc["operations"].values():
        actions[operation["channel"]["$ref"].rsplit("/", 1)[1]].add(operation["action"])

    assert {key for key, done in actions.items() if done != {"send", "receive"}} == set()


@pytest.mark.parametrize(
    "binding",
    sorted(
        {
            (service, queue.name, key)
            for service, queues in QUEUES.items()
            for queue in queues
            for key in queue.binding_keys
        }
    ),
    ids=lambda binding: f"{binding[1]}:{binding[2]}",
)
def test_every_binding_takes_a_message_of_the_document(
    doc: dict[str, Any], binding: tuple[str, str, str]
) -> None:
    _, _, key = binding

    assert any(binds(key, channel) for channel in doc["channels"])


def _published() -> Iterator[tuple[str, str]]:
    """(routing key, where) of every `publish(session, <event type>, ...)` in the services."""
    for package, source in PUBLISHERS.items():
        [src] = (ROOT / "services").glob(f"*/src/{package}")
        for path in sorted(src.rglob("*.py")):
            tree = ast.parse(path.read_text())
            calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
            publishing = [
                call
                for call in calls
                if (getattr(call.func, "id", None) or getattr(call.func, "attr", None)) == "publish"
                and len(call.args) >= 2
            ]
            if not publishing:
                continue
            module = importlib.import_module(
                ".".join(path.relative_to(src.parent).with_suffix("").parts)
            )
            for call in publishing:
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                event_type = eval(ast.unparse(call.args[1]), vars(module))
                yield f"{source}.{event_type}", where


def test_every_key_the_services_publish_is_in_the_document(doc: dict[str, Any]) -> None:
    published = list(_published())

    assert len(published) >= 20
    assert [(key, where) for key, where in published if key not in doc["channels"]] == []


def test_the_services_publish_only_through_their_publishing_module() -> None:
    """So that the scan above sees every event type: no outbox row written elsewhere."""
    elsewhere = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services").glob("*/src/**/*.py")
        if path.name != "publishing.py" and re.search(r"\b(new_event|enqueue)\(", path.read_text())
    ]

    assert elsewhere == []
