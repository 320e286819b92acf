"""Dotted paths into nested records: ``address.city``, ``lines.0.sku`` or ``lines[0].sku``.

A path is a list of parts separated by dots. A part is a key of an object, or a list position
written as a number (``lines.0``) or in brackets (``lines[0]``). Keys may contain spaces and dashes
but not ``.``, ``[`` or ``]``, and may not start or end with a space.
"""

import enum
import re
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any, Final, Literal

Part = str | int

# set_path pads lists up to a position; a typo such as lines.10000000 must not eat the memory.
MAX_LIST_POSITION: Final = 9999

_TOKEN = re.compile(r"\[(?P<inner>[^\]]*)\]|(?P<key>[^.\[\]]+)|(?P<other>.)")


class Missing(enum.Enum):
    """The type of ``MISSING``: what ``get_path`` returns when nothing sits at the path."""

    MISSING = "MISSING"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing.MISSING


def validate_path(path: str) -> None:
    """Raise ``ValueError`` with a message for people when ``path`` is not a valid path."""
    parse_path(path)


def get_path(obj: Any, path: str) -> Any | Literal[Missing.MISSING]:
    """The value at ``path`` inside ``obj``, or ``MISSING`` when a part of the path does not exist."""
    current = obj
    for part in parse_path(path):
        current = _child(current, part)
        if current is MISSING:
            return MISSING
    return current


def set_path(obj: MutableMapping[str, Any] | list[Any], path: str, value: Any) -> None:
    """Put ``value`` at ``path`` inside ``obj``, creating the objects and lists on the way.

    Raises ``ValueError`` when something that is not an object or a list is in the way.
    """
    parts = parse_path(path)
    current: Any = obj
    for position, part in enumerate(parts[:-1]):
        nxt = _child(current, part)
        if nxt is MISSING or nxt is None:
            nxt = [] if isinstance(parts[position + 1], int) else {}
            _assign(current, part, nxt, path)
        elif not isinstance(nxt, MutableMapping | list):
            where = format_path(parts[: position + 1])
            raise ValueError(f"cannot set '{path}': '{where}' already holds a value that is not an object")
        current = nxt
    _assign(current, parts[-1], value, path)


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[Part, ...]:
    """The parts of ``path``: strings for keys, integers for list positions."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError("the path is empty; write a field name such as 'email' or 'address.city'")
    parts: list[Part] = []
    expect_part = True
    for match in _TOKEN.finditer(path):
        expect_part = _take_token(path, match, parts, expect_part)
    if expect_part:
        raise ValueError(f"path '{path}' ends with a dot; write e.g. 'address.city'")
    return tuple(parts)


def format_path(parts: tuple[Part, ...]) -> str:
    return ".".join(str(part) for part in parts)


def _take_token(path: str, match: re.Match[str], parts: list[Part], expect_part: bool) -> bool:
    """Append the part in ``match`` to ``parts``; return whether a part must follow."""
    if match["other"] == ".":
        if expect_part:
            raise ValueError(f"path '{path}' has an empty part at position {match.start() + 1}")
        return True
    if match["other"] is not None:
        raise ValueError(f"path '{path}' has a '{match['other']}' without its partner; write e.g. 'lines[0]'")
    if match["inner"] is not None:
        if not parts:
            raise ValueError(f"path '{path}' starts with a list position; write e.g. 'lines[0].sku'")
        parts.append(_position(path, match["inner"]))
        return False
    if not expect_part:
        raise ValueError(f"path '{path}': put a dot between ']' and '{match['key']}'")
    parts.append(_key(path, match["key"]))
    return False


def _key(path: str, key: str) -> Part:
    if key != key.strip():
        raise ValueError(f"path '{path}': the part '{key}' starts or ends with a space")
    return int(key) if key.isascii() and key.isdigit() else key


def _position(path: str, inner: str) -> int:
    if not (inner.isascii() and inner.isdigit()):
        raise ValueError(f"path '{path}': expected a list position (0, 1, 2, ...) inside [ ], got '{inner}'")
    return int(inner)


def _child(current: Any, part: Part) -> Any:
    if isinstance(current, Mapping):
        if part in current:
            return current[part]
        return current.get(str(part), MISSING)
    if isinstance(current, list | tuple) and isinstance(part, int):
        return current[part] if part < len(current) else MISSING
    return MISSING


def _assign(container: Any, part: Part, value: Any, path: str) -> None:
    if isinstance(container, MutableMapping):
        container[str(part)] = value
    elif isinstance(container, list) and isinstance(part, int):
        if part > MAX_LIST_POSITION:
            raise ValueError(f"cannot set '{path}': list positions stop at {MAX_LIST_POSITION}")
        container.extend([None] * (part + 1 - len(container)))
        container[part] = value
    else:
        raise ValueError(f"cannot set '{path}': '{part}' is not a list position")
