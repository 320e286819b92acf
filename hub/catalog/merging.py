"""Merging an incoming record into the canonical one by source of truth.

Only the authoritative system's values change a field. Another system may fill a field that is still
empty; a differing value from it becomes a conflict for a person, and the record keeps its value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OfferedValue:
    field: str
    kept: Any
    offered: Any


@dataclass
class MergeResult:
    data: dict[str, Any]
    provenance: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    conflicts: list[OfferedValue] = field(default_factory=list)


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _own(provenance: Mapping[str, Any], name: str, stamp: Mapping[str, Any]) -> bool:
    origin = provenance.get(name)
    return (
        isinstance(origin, dict)
        and bool(origin.get("provisional"))
        and origin.get("entry") == stamp.get("entry")
    )


def merge_values(
    *,
    data: Mapping[str, Any],
    provenance: Mapping[str, Any],
    incoming: Mapping[str, Any],
    source_id: int,
    owner_of: Callable[[str], int | None],
    stamp: Mapping[str, Any],
    replace_own: bool = False,
) -> MergeResult:
    """``stamp`` is the provenance written for every value taken (system, time, run).

    ``replace_own``: a value the same manual entry provided (``stamp["entry"]``) may be replaced by it, as
    a person corrects what they typed before any system has sent its own."""
    result = MergeResult(data=dict(data), provenance=dict(provenance))
    entry = dict(stamp)  # one provenance entry, shared by the fields this merge takes
    for name, value in incoming.items():
        current = data.get(name)
        if value == current:
            continue
        filling = name not in data or _empty(current)
        if filling and not _empty(value):
            take = True  # a new value for an empty field: whoever owns it, nobody disagrees
        else:
            owner = owner_of(name)
            if _empty(value) and owner is not None and owner != source_id:
                continue  # a system that lacks a value does not disagree with the one that has it
            take = (
                owner is None
                or owner == source_id
                or filling
                or (replace_own and _own(provenance, name, stamp))
            )
        if take:
            result.data[name] = value
            result.provenance[name] = entry
            result.changed.append(name)
        else:
            result.conflicts.append(OfferedValue(field=name, kept=current, offered=value))
    return result
