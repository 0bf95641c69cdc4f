"""Stripe's request encoding: form fields with bracket nesting (`metadata[k]=v`, `a[0][b]=c`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from provider_sandbox.stripe.errors import invalid_param, parameter_missing

Params = dict[str, Any]

_KEY_PARTS = re.compile(r"([^\[\]]+)|\[([^\[\]]*)\]")
# Maps whose keys are free-form (a metadata key "0" must stay a key, not become a list index).
_FREE_FORM_MAPS = frozenset({"metadata"})


def parse_form(encoded: str) -> Params:
    """Nested dicts and lists from a form-encoded string; `a[]` appends, `a[0]` indexes."""
    root: Params = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        parts = [name or index for name, index in _KEY_PARTS.findall(key)]
        if parts:
            _insert(root, parts, value)
    return {
        key: _listify(value, key) if isinstance(value, dict) else value
        for key, value in root.items()
    }


def _insert(container: Params, parts: list[str], value: str) -> None:
    for depth, part in enumerate(parts):
        key = part if part else str(len(container))
        if depth == len(parts) - 1:
            container[key] = value
        else:
            child = container.setdefault(key, {})
            if not isinstance(child, dict):
                child = container[key] = {}
            container = child


def _listify(node: Params, parent: str) -> Any:
    converted = {
        key: _listify(value, key) if isinstance(value, dict) else value
        for key, value in node.items()
    }
    if parent in _FREE_FORM_MAPS or not converted or not all(key.isdigit() for key in converted):
        return converted
    return [converted[key] for key in sorted(converted, key=int)]


def required_str(params: Params, name: str) -> str:
    """A required string parameter."""
    value = params.get(name)
    if value is None or value == "":
        raise parameter_missing(name)
    if not isinstance(value, str):
        raise invalid_param(name, f"Invalid string: {name} must be a string.")
    return value


def optional_str(params: Params, name: str) -> str | None:
    """A string parameter; absent or empty gives None."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid_param(name, f"Invalid string: {name} must be a string.")
    return value


def optional_int(params: Params, name: str) -> int | None:
    """An integer parameter; absent or empty gives None."""
    value = optional_str(params, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise invalid_param(name, f"Invalid integer: {value}") from None


def optional_bool(params: Params, name: str) -> bool | None:
    """A boolean parameter (`true`/`false`); absent or empty gives None."""
    value = optional_str(params, name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise invalid_param(name, f"Invalid boolean: {value}")
    return value == "true"


def optional_dict(params: Params, name: str) -> Params | None:
    """A hash parameter; absent gives None, an empty string (Stripe's "unset") gives {}."""
    value = params.get(name)
    if value is None:
        return None
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_param(name, f"Invalid hash: {name} must be a hash.")
    return value


def optional_list(params: Params, name: str) -> list[Any]:
    """An array parameter; absent gives []."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise invalid_param(name, f"Invalid array: {name} must be an array.")
    return value


def merge_metadata(current: dict[str, str], update: Params | None) -> dict[str, str]:
    """Stripe's metadata update: keys are added or replaced; an empty value deletes its key."""
    if update is None:
        return current
    if not update:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged
