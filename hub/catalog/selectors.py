"""Reads of the canonical model: an entity's schema, and the source-of-truth matrix."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from hub.catalog.models import Entity, EntityField, SourceOfTruth
from hub.catalog.schema import EntitySchema, FieldSpec, FieldType
from hub.systems.models import System


def entity_schema(entity: Entity) -> EntitySchema:
    fields = entity.fields.select_related("reference_entity").order_by("position", "pk")
    return EntitySchema(name=entity.name, fields=tuple(field_spec(f) for f in fields))


def field_spec(f: EntityField) -> FieldSpec:
    return FieldSpec(
        name=f.name,
        type=FieldType(f.type),
        required=f.required,
        natural_key=f.natural_key,
        format_rule=f.format_rule,
        enum_values=tuple(f.allowed_values),
        reference_entity=f.reference_entity.name if f.reference_entity else None,
        label=f.label,
    )


@dataclass
class MatrixRow:
    field: EntityField
    cells: list[str]  # per system column: "field" (owns this field), "entity" (owns it as a whole) or ""


@dataclass
class EntityMatrix:
    entity: Entity
    systems: list[System]
    owner: System | None
    rows: list[MatrixRow] = field(default_factory=list)


def source_of_truth_matrix() -> list[EntityMatrix]:
    """For each entity: rows are fields, columns the systems involved, cells who is authoritative."""
    rules = list(SourceOfTruth.objects.select_related("system", "field"))
    entities = Entity.objects.prefetch_related(
        Prefetch("fields", queryset=EntityField.objects.order_by("position", "pk")),
        Prefetch("mappings__system"),
    )
    return [_entity_matrix(entity, rules) for entity in entities]


def _entity_matrix(entity: Entity, rules: list[SourceOfTruth]) -> EntityMatrix:
    mine = [rule for rule in rules if rule.entity_id == entity.pk]
    owner = next((rule.system for rule in mine if rule.field_id is None), None)
    by_field = {rule.field_id: rule.system for rule in mine if rule.field_id is not None}
    systems = {m.system.pk: m.system for m in entity.mappings.all()}
    systems.update({rule.system.pk: rule.system for rule in mine})
    columns = sorted(systems.values(), key=lambda s: s.name)
    matrix = EntityMatrix(entity=entity, systems=columns, owner=owner)
    for f in entity.fields.all():
        winner = by_field.get(f.pk)
        cells = [_cell(system, winner, owner) for system in columns]
        matrix.rows.append(MatrixRow(field=f, cells=cells))
    return matrix


def _cell(system: System, field_owner: System | None, entity_owner: System | None) -> str:
    if field_owner is not None:
        return "field" if field_owner.pk == system.pk else ""
    return "entity" if entity_owner is not None and entity_owner.pk == system.pk else ""
