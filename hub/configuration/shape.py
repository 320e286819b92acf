"""Checking the shape of one item of a configuration file: known keys, required keys, value types."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.configuration.source import Problems

TEXT = "text"
NUMBER = "number"
FLAG = "flag"
TEXTS = "texts"
OBJECTS = "objects"
SETTINGS = "settings"

_EXPECTED = {
    TEXT: "expected text (put it in quotes if it looks like a number or a date)",
    NUMBER: "expected a whole number",
    FLAG: "expected true or false",
    TEXTS: "expected a list of texts, e.g. [a, b]",
    OBJECTS: "expected a list of items, each starting with '- '",
    SETTINGS: "expected settings written as 'name: value' lines",
}


@dataclass(frozen=True)
class Key:
    """One key an item may have: the kind of value, whether it must be there, and its default."""

    kind: str
    required: bool = False
    default: Any = None
    nullable: bool = False


def read_item(raw: Any, path: str, keys: Mapping[str, Key], problems: Problems) -> dict[str, Any] | None:
    """The item's values with defaults filled in, or None (with errors added) when its shape is wrong."""
    if not isinstance(raw, dict):
        problems.add(path, "expected an item written as 'key: value' lines")
        return None
    count = len(problems)
    for name in raw:
        if name not in keys:
            problems.add(_join(path, name), _unknown_key(str(name), keys))
    values = {name: _value(raw, name, key, path, problems) for name, key in keys.items()}
    return values if len(problems) == count else None


def check_list(raw: Any, path: str, problems: Problems) -> list[Any]:
    """A top-level section: a list of items, or nothing."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(path, _EXPECTED[OBJECTS])
        return []
    return raw


def _value(raw: Mapping[str, Any], name: str, key: Key, path: str, problems: Problems) -> Any:
    value = raw.get(name)
    if value is None:
        if key.required and not key.nullable:
            problems.add(_join(path, name) if name in raw else path, f"'{name}' is required")
        return _fresh(key.default)
    if not _fits(value, key.kind):
        problems.add(_join(path, name), _EXPECTED[key.kind])
    return value


def _fits(value: Any, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == NUMBER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == FLAG:
        return isinstance(value, bool)
    if kind == TEXTS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if kind == SETTINGS:
        return isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values())
    return isinstance(value, list)


def _join(path: str, name: Any) -> str:
    return f"{path}.{name}" if path else str(name)


def _fresh(default: Any) -> Any:
    return list(default) if isinstance(default, list | tuple) else default


def _unknown_key(name: str, keys: Mapping[str, Key]) -> str:
    close = difflib.get_close_matches(name, list(keys), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key '{name}': {hint}known keys here: {', '.join(keys)}"
