"""What an import did (or, in a dry run, would do), object by object, in words for people."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class Action(enum.StrEnum):
    CREATE = "create"
    CHANGE = "change"
    SAME = "same"
    REMOVE = "remove"
    LEFT_ALONE = "left alone"


@dataclass(frozen=True)
class Entry:
    action: Action
    kind: str
    label: str
    attributes: tuple[str, ...] = ()

    def __str__(self) -> str:
        changed = f": {', '.join(self.attributes)}" if self.attributes else ""
        return f"{self.action.value:<7} {self.kind} {self.label}{changed}"


@dataclass
class ImportReport:
    """Every object the file touched or could have touched, plus warnings that do not stop the import."""

    dry_run: bool = False
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, action: Action, kind: str, label: str, attributes: list[str] | None = None) -> None:
        self.entries.append(Entry(action, kind, label, tuple(attributes or ())))

    def record(self, *, created: bool, kind: str, label: str, changed: list[str]) -> None:
        """Add the entry for an upserted object: created, changed (and which attributes) or the same."""
        if created:
            self.add(Action.CREATE, kind, label)
        else:
            self.add(Action.CHANGE if changed else Action.SAME, kind, label, changed)

    def of(self, action: Action) -> list[Entry]:
        return [entry for entry in self.entries if entry.action == action]

    @property
    def changes_anything(self) -> bool:
        return any(entry.action in (Action.CREATE, Action.CHANGE, Action.REMOVE) for entry in self.entries)

    def summary(self) -> str:
        counts = Counter(entry.action for entry in self.entries)
        parts = [f"{counts[action]} {_PAST[action]}" for action in Action]
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        outcome = "dry run: nothing was saved" if self.dry_run else "saved"
        if not self.changes_anything:
            outcome = "nothing to change"
        return f"{', '.join(parts)}{warned} ({outcome})"

    def lines(self) -> list[str]:
        return [
            *(str(entry) for entry in self.entries),
            *(f"warning {w}" for w in self.warnings),
            self.summary(),
        ]


_PAST = {
    Action.CREATE: "created",
    Action.CHANGE: "changed",
    Action.SAME: "unchanged",
    Action.REMOVE: "removed",
    Action.LEFT_ALONE: "left alone",
}


class ConfigImportError(Exception):
    """The file cannot be applied; nothing was changed. ``errors`` are ``line N: path: message``."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the configuration:\n" + "\n".join(errors))
        self.errors = errors
