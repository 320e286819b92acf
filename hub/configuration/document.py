"""The configuration document as typed items, read from parsed YAML with every shape error collected.

Each item keeps its ``path`` (``flows[3]``) so that later checks can point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.configuration.shape import FLAG, NUMBER, OBJECTS, SETTINGS, TEXT, TEXTS, Key

VERSION = 1

SYSTEM_KEYS = {
    "name": Key(TEXT, required=True),
    "kind": Key(TEXT, required=True),
    "description": Key(TEXT, default=""),
    "owner_team": Key(TEXT, default=""),
    "contact": Key(TEXT, default=""),
    "environment": Key(TEXT, default="production"),
    "status": Key(TEXT, default="active"),
    "read_only": Key(FLAG, default=False),
    "settings": Key(SETTINGS, default={}),
    "secrets": Key(TEXTS, default=[]),
}
ENTITY_KEYS = {
    "name": Key(TEXT, required=True),
    "description": Key(TEXT, default=""),
    "fields": Key(OBJECTS, default=[]),
}
FIELD_KEYS = {
    "name": Key(TEXT, required=True),
    "label": Key(TEXT, default=""),
    "type": Key(TEXT, default="text"),
    "required": Key(FLAG, default=False),
    "natural_key": Key(FLAG, default=False),
    "format_rule": Key(TEXT, default=""),
    "allowed_values": Key(TEXTS, default=[]),
    "reference": Key(TEXT, nullable=True),
    "help": Key(TEXT, default=""),
}
MAPPING_KEYS = {
    "system": Key(TEXT, required=True),
    "entity": Key(TEXT, required=True),
    "direction": Key(TEXT, required=True),
    "resource": Key(TEXT, default=""),
    "id_path": Key(TEXT, default=""),
    "description": Key(TEXT, default=""),
    "rules": Key(OBJECTS, default=[]),
    "versions": Key(OBJECTS, default=[]),
}
RULE_KEYS = {
    "source": Key(TEXT, default=""),
    "target": Key(TEXT, required=True),
    "transforms": Key(TEXTS, default=[]),
}
VERSION_KEYS = {
    "number": Key(NUMBER, required=True),
    "note": Key(TEXT, default=""),
    "rules": Key(OBJECTS, default=[]),
}
SOURCE_KEYS = {
    "entity": Key(TEXT, required=True),
    "field": Key(TEXT, nullable=True),
    "system": Key(TEXT, required=True),
    "note": Key(TEXT, default=""),
}
FLOW_KEYS = {
    "name": Key(TEXT, required=True),
    "entity": Key(TEXT, required=True),
    "source": Key(TEXT, required=True),
    "targets": Key(TEXTS, default=[]),
    "fields": Key(TEXTS, default=[]),
    "business_outcome": Key(TEXT, required=True),
    "freshness_minutes": Key(NUMBER, required=True),
    "trigger": Key(TEXT, default="manual"),
    "interval_minutes": Key(NUMBER, nullable=True),
    "cron": Key(TEXT, default=""),
    "state": Key(TEXT, default="draft"),
    "description": Key(TEXT, default=""),
    "cursor_field": Key(TEXT, default=""),
    "create_in_targets": Key(FLAG, default=True),
    "max_attempts": Key(NUMBER, default=5),
    "retry_base_seconds": Key(NUMBER, default=5),
    "retry_window_seconds": Key(NUMBER, default=120),
}
TOP_KEYS = {
    "version": Key(NUMBER, required=True),
    "systems": Key(OBJECTS, default=[]),
    "entities": Key(OBJECTS, default=[]),
    "mappings": Key(OBJECTS, default=[]),
    "source_of_truth": Key(OBJECTS, default=[]),
    "flows": Key(OBJECTS, default=[]),
}


@dataclass
class SystemDoc:
    path: str
    name: str
    kind: str
    description: str
    owner_team: str
    contact: str
    environment: str
    status: str
    read_only: bool
    settings: dict[str, Any]
    secrets: list[str]


@dataclass
class FieldDoc:
    path: str
    name: str
    label: str
    type: str
    required: bool
    natural_key: bool
    format_rule: str
    allowed_values: list[str]
    reference: str | None
    help: str


@dataclass
class EntityDoc:
    path: str
    name: str
    description: str
    fields: list[FieldDoc]


@dataclass
class RuleDoc:
    path: str
    source: str
    target: str
    transforms: list[str]


@dataclass
class VersionDoc:
    path: str
    number: int
    note: str
    rules: list[RuleDoc]


@dataclass
class MappingDoc:
    path: str
    system: str
    entity: str
    direction: str
    resource: str
    id_path: str
    description: str
    rules: list[RuleDoc]
    versions: list[VersionDoc]

    @property
    def label(self) -> str:
        return f"{self.system} → {self.entity} ({self.direction})"


@dataclass
class SourceDoc:
    path: str
    entity: str
    field: str | None
    system: str
    note: str

    @property
    def label(self) -> str:
        return f"{self.entity}.{self.field}" if self.field else self.entity


@dataclass
class FlowDoc:
    path: str
    name: str
    entity: str
    source: str
    targets: list[str]
    fields: list[str]
    business_outcome: str
    freshness_minutes: int
    trigger: str
    interval_minutes: int | None
    cron: str
    state: str
    description: str
    cursor_field: str
    create_in_targets: bool
    max_attempts: int
    retry_base_seconds: int
    retry_window_seconds: int


@dataclass
class Document:
    """The items whose shape is right; ``broken`` names those that are declared but unusable."""

    systems: list[SystemDoc] = field(default_factory=list)
    entities: list[EntityDoc] = field(default_factory=list)
    mappings: list[MappingDoc] = field(default_factory=list)
    sources: list[SourceDoc] = field(default_factory=list)
    flows: list[FlowDoc] = field(default_factory=list)
    broken: set[tuple[str, ...]] = field(default_factory=set)
