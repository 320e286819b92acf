"""From parsed YAML to a ``Document``: shapes, duplicates within the file, clashing sources of truth."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from hub.configuration.document import (
    ENTITY_KEYS,
    FIELD_KEYS,
    FLOW_KEYS,
    MAPPING_KEYS,
    RULE_KEYS,
    SOURCE_KEYS,
    SYSTEM_KEYS,
    TOP_KEYS,
    VERSION,
    VERSION_KEYS,
    Document,
    EntityDoc,
    FieldDoc,
    FlowDoc,
    MappingDoc,
    RuleDoc,
    SourceDoc,
    SystemDoc,
    VersionDoc,
)
from hub.configuration.shape import Key, check_list, read_item
from hub.configuration.source import Problems

T = TypeVar("T")


def document_read(data: Any, problems: Problems) -> Document:
    """Every item of the file whose shape is right; what is wrong goes to ``problems``."""
    document = Document()
    if data is None:
        problems.add("", "the file is empty: expected 'version: 1' and the sections of the configuration")
        return document
    top = read_item(data, "", TOP_KEYS, problems)
    if top is None:
        return document
    if top["version"] is not None and top["version"] != VERSION:
        problems.add("version", f"unsupported version {top['version']}: this hub reads version {VERSION}")
    read = _Reader(document, problems)
    document.systems = read.items(top["systems"], "systems", SYSTEM_KEYS, read.system)
    document.entities = read.items(top["entities"], "entities", ENTITY_KEYS, read.entity)
    document.mappings = read.items(top["mappings"], "mappings", MAPPING_KEYS, read.mapping)
    document.sources = read.items(top["source_of_truth"], "source_of_truth", SOURCE_KEYS, read.source)
    document.flows = read.items(top["flows"], "flows", FLOW_KEYS, read.flow)
    return document


class _Reader:
    def __init__(self, document: Document, problems: Problems):
        self.document = document
        self.problems = problems
        self.seen: dict[Hashable, str] = {}

    def items(
        self, raw: Any, section: str, keys: dict[str, Key], build: Callable[[str, dict[str, Any]], T | None]
    ) -> list[T]:
        found: list[T] = []
        for index, item in enumerate(check_list(raw, section, self.problems)):
            path = f"{section}[{index}]"
            values = read_item(item, path, keys, self.problems)
            if values is None:
                self._mark_broken(section, item)
                continue
            built = build(path, values)
            if built is not None:
                found.append(built)
        return found

    def unique(self, key: Hashable, path: str, what: str) -> bool:
        """False (with an error) when ``key`` appeared earlier in the file."""
        if key in self.seen:
            line = self.problems.source.line(self.seen[key])
            self.problems.add(path, f"{what} appears twice in the file (first at line {line})")
            return False
        self.seen[key] = path
        return True

    def system(self, path: str, values: dict[str, Any]) -> SystemDoc | None:
        if not self.unique(("system", values["name"]), path, f"system '{values['name']}'"):
            return None
        return SystemDoc(path=path, **values)

    def entity(self, path: str, values: dict[str, Any]) -> EntityDoc | None:
        name = values["name"]
        if not self.unique(("entity", name), path, f"entity '{name}'"):
            return None
        fields = self.nested(values, path, "fields", FIELD_KEYS, self.field_of(name))
        for raw_name in _names(values["fields"]) - {f.name for f in fields}:
            self.document.broken.add(("field", name, raw_name))
        return EntityDoc(path=path, name=name, description=values["description"], fields=fields)

    def field_of(self, entity: str) -> Callable[[str, dict[str, Any]], FieldDoc | None]:
        def build(path: str, values: dict[str, Any]) -> FieldDoc | None:
            key = ("field", entity, values["name"])
            return (
                FieldDoc(path=path, **values) if self.unique(key, path, f"field '{values['name']}'") else None
            )

        return build

    def mapping(self, path: str, values: dict[str, Any]) -> MappingDoc | None:
        key = ("mapping", values["system"], values["entity"], values["direction"])
        label = f"mapping {values['system']} → {values['entity']} ({values['direction']})"
        if not self.unique(key, path, label):
            return None
        rules = self.nested(values, path, "rules", RULE_KEYS, self.rule)
        versions = self.nested(values, path, "versions", VERSION_KEYS, self.version_of(key))
        return MappingDoc(path=path, **{**values, "rules": rules, "versions": versions})

    def rule(self, path: str, values: dict[str, Any]) -> RuleDoc:
        return RuleDoc(path=path, **values)

    def version_of(self, mapping: tuple[str, ...]) -> Callable[[str, dict[str, Any]], VersionDoc | None]:
        def build(path: str, values: dict[str, Any]) -> VersionDoc | None:
            number = values["number"]
            if number < 1:
                self.problems.add(f"{path}.number", "version numbers start at 1")
                return None
            if not self.unique((*mapping, number), path, f"version {number}"):
                return None
            rules = self.nested(values, path, "rules", RULE_KEYS, self.rule)
            return VersionDoc(path=path, number=number, note=values["note"], rules=rules)

        return build

    def source(self, path: str, values: dict[str, Any]) -> SourceDoc | None:
        doc = SourceDoc(path=path, **values)
        scope = f"field {doc.label}" if doc.field else f"entity {doc.entity}"
        if not self.unique(("source", doc.entity, doc.field), path, f"a source of truth for {scope}"):
            return None
        return doc

    def flow(self, path: str, values: dict[str, Any]) -> FlowDoc | None:
        if not self.unique(("flow", values["name"]), path, f"flow '{values['name']}'"):
            return None
        return FlowDoc(path=path, **values)

    def nested(
        self,
        values: dict[str, Any],
        path: str,
        key: str,
        keys: dict[str, Key],
        build: Callable[[str, dict[str, Any]], T | None],
    ) -> list[T]:
        found: list[T] = []
        for index, item in enumerate(values[key]):
            item_path = f"{path}.{key}[{index}]"
            item_values = read_item(item, item_path, keys, self.problems)
            built = build(item_path, item_values) if item_values is not None else None
            if built is not None:
                found.append(built)
        return found

    def _mark_broken(self, section: str, item: Any) -> None:
        """Remember a declared name whose item is unusable, so that references to it add no noise."""
        if not isinstance(item, dict):
            return
        if section == "mappings":
            self.document.broken.add(
                ("mapping", *(str(item.get(k)) for k in ("system", "entity", "direction")))
            )
        elif section in _KINDS and isinstance(item.get("name"), str):
            self.document.broken.add((_KINDS[section], item["name"]))


_KINDS = {"systems": "system", "entities": "entity", "flows": "flow"}


def _names(items: list[Any]) -> set[str]:
    return {item["name"] for item in items if isinstance(item, dict) and isinstance(item.get("name"), str)}
