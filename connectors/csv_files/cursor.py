"""The position the CSV kind hands back as ``Page.cursor`` and receives as ``since``.

Format (compact JSON, names sorted)::

    {"v": 1,
     "done": {"orders-001.csv": [2048, 1717146000000000000], ...},
     "part": {"name": "orders-002.csv", "size": 4096, "mtime_ns": 1717146060000000000, "rows": 1000}}

``done`` maps each file read to the end to its size in bytes and modification time in nanoseconds: a file
is read again when either changes (it was replaced). ``part``, present only in the middle of a file,
says how many rows of it were handed over, so that a run resumed from this page skips them.

Bounded: at the start of each fetch, entries for files no longer in the folder (moved, deleted) are
dropped, so the cursor names at most the files present, and with “Move read files to” set, almost none.
A file that comes back under a name the hub forgot is new and is read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import ConnectorError

from .folders import FileInfo, Stamp

_VERSION = 1


@dataclass(frozen=True)
class Partial:
    name: str
    stamp: Stamp
    rows: int

    def applies_to(self, file: FileInfo) -> bool:
        return (self.name, self.stamp) == (file.name, file.stamp)


@dataclass(frozen=True)
class Position:
    done: Mapping[str, Stamp] = field(default_factory=dict)
    partial: Partial | None = None

    def pruned(self, present: list[FileInfo]) -> Position:
        """Only what still describes a file in the folder, in the same version."""
        stamps = {file.name: file.stamp for file in present}
        done = {name: stamp for name, stamp in self.done.items() if stamps.get(name) == stamp}
        partial = self.partial
        if partial is not None and stamps.get(partial.name) != partial.stamp:
            partial = None
        return Position(done, partial)

    def is_done(self, file: FileInfo) -> bool:
        return self.done.get(file.name) == file.stamp


def encode(done: Mapping[str, Stamp], partial: Partial | None) -> str:
    data: dict[str, Any] = {
        "v": _VERSION,
        "done": {name: [done[name].size, done[name].mtime_ns] for name in sorted(done)},
    }
    if partial is not None:
        stamp = partial.stamp
        data["part"] = {
            "name": partial.name,
            "size": stamp.size,
            "mtime_ns": stamp.mtime_ns,
            "rows": partial.rows,
        }
    return json.dumps(data, separators=(",", ":"))


def decode(since: str | None) -> Position:
    if not since:
        return Position()
    position = _decoded_or_none(since)
    if position is None:
        raise ConnectorError(
            "The saved position was not made by this kind of connector (CSV files): reset the flow's "
            "position to read every file in the folder again.",
            permanent=True,
        )
    return position


def _decoded_or_none(since: str) -> Position | None:
    try:
        data = json.loads(since)
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            return None
        done = {str(name): _stamp(value) for name, value in dict(data["done"]).items()}
        part = data.get("part")
        partial = None if part is None else Partial(str(part["name"]), _stamp(part), int(part["rows"]))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return Position(done, partial)


def _stamp(value: Any) -> Stamp:
    if isinstance(value, dict):
        return Stamp(int(value["size"]), int(value["mtime_ns"]))
    size, mtime_ns = value
    return Stamp(int(size), int(mtime_ns))
