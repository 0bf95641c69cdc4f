"""Topic bindings as regular expressions, so the database can tell which queues take a key."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WORD = r"[^.]+"


def binding_pattern(binding_keys: Sequence[str]) -> str:
    """One anchored regular expression matching the routing keys any of the bindings take
    (`*` one word, `#` any number), read alike by Python's `re` and PostgreSQL's `~`."""
    return "^(?:" + "|".join(_one(key) for key in binding_keys) + ")$"


def _one(binding_key: str) -> str:
    words: list[str] = []
    for word in binding_key.split("."):
        if not (word == "#" and words and words[-1] == "#"):  # `#.#` takes what `#` takes
            words.append(word)
    if words == ["#"]:
        return ".*"
    pattern = ""
    for index, word in enumerate(words):
        if word == "#":
            # Any number of words, dots included, on the side away from the start.
            pattern += rf"(?:{_WORD}\.)*" if index == 0 else rf"(?:\.{_WORD})*"
            continue
        if index > 0 and not (index == 1 and words[0] == "#"):
            pattern += r"\."
        pattern += _WORD if word == "*" else re.escape(word)
    return pattern
