"""Rows to plain data, section by section, for ``config_export``. Empty optional keys are left out."""

from __future__ import annotations

from typing import Any

from connectors.registry import connector_class
from hub.catalog.models import Entity, EntityField, SourceOfTruth
from hub.flows.models import Flow
from hub.mappings.models import Mapping
from hub.mappings.services import draft_rules, rules_to_data
from hub.systems.models import System


class Inline(dict[str, Any]):
    """A small mapping written on one line: ``{source: email, target: email}``."""


class InlineList(list[Any]):
    """A short list of names written on one line: ``[ERP, Billing]``."""


def _sorted(items: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: tuple(str(item.get(key) or "") for key in keys))


def _compact(data: dict[str, Any], *optional: str) -> dict[str, Any]:
    """Leave out the optional keys whose value is empty: the import reads a missing key as empty."""
    return {key: value for key, value in data.items() if key not in optional or not _empty(value)}


def _empty(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def systems_export() -> list[dict[str, Any]]:
    return _sorted([_system(system) for system in System.objects.prefetch_related("secrets")], "name")


def _system(system: System) -> dict[str, Any]:
    data = {
        "name": system.name,
        "kind": system.kind,
        "description": system.description,
        "owner_team": system.owner_team,
        "contact": system.contact,
        "environment": system.environment,
        "status": system.status,
        "read_only": system.read_only,
        "settings": _settings(system),
        "secrets": InlineList(_secret_names(system)),
    }
    return _compact(data, "description", "owner_team", "contact", "read_only", "settings", "secrets")


def _settings(system: System) -> dict[str, Any]:
    """The stored non-secret values in the kind's order; a value equal to its default goes unsaid."""
    params = connector_class(system.kind).params
    return {
        p.name: system.params[p.name]
        for p in params
        if not p.secret and p.name in system.params and system.params[p.name] != p.default
    }


def _secret_names(system: System) -> list[str]:
    """The secrets stored, and the required ones not stored yet: the names only, never a value."""
    cls = connector_class(system.kind)
    stored = {secret.name for secret in system.secrets.all()}
    required = {p.name for p in cls.params if p.secret and p.is_required(system.params)}
    return sorted((stored & set(cls.secret_names())) | required)


def entities_export() -> list[dict[str, Any]]:
    entities = Entity.objects.prefetch_related("fields__reference_entity")
    return _sorted([_entity(entity) for entity in entities], "name")


def _entity(entity: Entity) -> dict[str, Any]:
    fields = sorted(entity.fields.all(), key=lambda field: (field.position, field.pk))
    data = {"name": entity.name, "description": entity.description, "fields": [_field(f) for f in fields]}
    return _compact(data, "description", "fields")


def _field(field: EntityField) -> Inline:
    data = {
        "name": field.name,
        "label": field.label,
        "type": field.type,
        "required": field.required,
        "natural_key": field.natural_key,
        "format_rule": field.format_rule,
        "allowed_values": InlineList(field.allowed_values),
        "reference": field.reference_entity.name if field.reference_entity else None,
        "help": field.help,
    }
    return Inline(_compact(data, *data.keys() - {"name", "type"}))


def mappings_export() -> list[dict[str, Any]]:
    mappings = Mapping.objects.select_related("system", "entity").prefetch_related("versions")
    return _sorted([_mapping(mapping) for mapping in mappings], "system", "entity", "direction")


def _mapping(mapping: Mapping) -> dict[str, Any]:
    versions = sorted(mapping.versions.all(), key=lambda version: version.number)
    data = {
        "system": mapping.system.name,
        "entity": mapping.entity.name,
        "direction": mapping.direction,
        "resource": mapping.resource,
        "id_path": mapping.id_path,
        "description": mapping.description,
        "rules": _rules(rules_to_data(draft_rules(mapping))),
        "versions": [
            _compact({"number": v.number, "note": v.note, "rules": _rules(v.rules)}, "note") for v in versions
        ],
    }
    return _compact(data, "resource", "id_path", "description", "rules", "versions")


def _rules(rules: list[dict[str, Any]]) -> list[Inline]:
    return [
        Inline(_compact({**rule, "transforms": InlineList(rule.get("transforms") or [])}, "transforms"))
        for rule in rules
    ]


def sources_export() -> list[dict[str, Any]]:
    sources = SourceOfTruth.objects.select_related("entity", "field", "system")
    return _sorted([_source(source) for source in sources], "entity", "field")


def _source(source: SourceOfTruth) -> Inline:
    data = {
        "entity": source.entity.name,
        "field": source.field.name if source.field else None,
        "system": source.system.name,
        "note": source.note,
    }
    return Inline(_compact(data, "field", "note"))


def flows_export() -> list[dict[str, Any]]:
    flows = Flow.objects.select_related("entity", "source").prefetch_related("targets", "fields")
    return _sorted([_flow(flow) for flow in flows], "name")


def _flow(flow: Flow) -> dict[str, Any]:
    fields = sorted(flow.fields.all(), key=lambda field: (field.position, field.pk))
    data = {
        "name": flow.name,
        "entity": flow.entity.name,
        "source": flow.source.name,
        "targets": InlineList(sorted(target.name for target in flow.targets.all())),
        "fields": InlineList(field.name for field in fields),
        "business_outcome": flow.business_outcome,
        "freshness_minutes": flow.freshness_minutes,
        "trigger": flow.trigger,
        "interval_minutes": flow.interval_minutes,
        "cron": flow.cron,
        "state": flow.state,
        "description": flow.description,
        "cursor_field": flow.cursor_field,
        "create_in_targets": flow.create_in_targets,
        "max_attempts": flow.max_attempts,
        "retry_base_seconds": flow.retry_base_seconds,
        "retry_window_seconds": flow.retry_window_seconds,
    }
    return _compact(data, "targets", "fields", "interval_minutes", "cron", "description", "cursor_field")
