"""Entities and their fields: upserted by name; a field missing from the file is removed at the end.

The removal waits for ``removals.fields_remove``, which runs once the mappings, sources of truth and flows
of the file are applied and refuses it while something the import keeps still uses the field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from hub.catalog.models import Entity, EntityField
from hub.configuration.document import EntityDoc, FieldDoc
from hub.configuration.report import Action
from hub.configuration.steps.context import Context, Removal, assign, checked_save, named

FIELD_NAMES = {
    "enum_values": "allowed_values",
    "reference_entity": "reference",
    "reference_entity_id": "reference",
}


def entities_apply(ctx: Context) -> None:
    applied = [(doc, _entity_apply(ctx, doc)) for doc in ctx.document.entities]
    for doc, entity in applied:
        _fields_apply(ctx, doc, entity)
    for entity in Entity.objects.exclude(name__in=[doc.name for doc in ctx.document.entities]):
        ctx.report.add(Action.LEFT_ALONE, "entity", entity.name)


def _entity_apply(ctx: Context, doc: EntityDoc) -> Entity | None:
    entity = Entity.objects.filter(name=doc.name).first() or Entity(name=doc.name)
    created = entity._state.adding
    changed = assign(entity, {"description": doc.description})
    if not checked_save(ctx, entity, changed=changed, path=doc.path, names={}):
        ctx.mark_broken("entity", doc.name)
        return None
    ctx.entities[doc.name] = entity
    ctx.report.record(created=created, kind="entity", label=doc.name, changed=changed)
    return entity


def _fields_apply(ctx: Context, doc: EntityDoc, entity: Entity | None) -> None:
    if entity is None:
        for field_doc in doc.fields:  # still check the fields, so that every error shows at once
            _field_check(ctx, field_doc)
        return
    existing = {field.name: field for field in entity.fields.order_by("position", "pk")}
    positions = _positions(doc, existing)
    for field_doc in doc.fields:
        field = existing.get(field_doc.name) or EntityField(entity=entity, name=field_doc.name)
        _field_apply(ctx, entity, field, field_doc, positions[field_doc.name])
    for name, field in existing.items():
        if name not in positions:
            ctx.removals.append(Removal(path=f"{doc.path}.fields", field=field))


def _positions(doc: EntityDoc, existing: dict[str, EntityField]) -> dict[str, int]:
    """Keep the stored positions while the order holds (fields removed, or added at the end)."""
    names = [field.name for field in doc.fields]
    kept = [name for name in names if name in existing]
    added = names[len(kept) :]
    if kept == [name for name in existing if name in names] and not set(added) & set(existing):
        last = max((field.position for field in existing.values()), default=-1)
        return {name: existing[name].position for name in kept} | {
            n: last + 1 + i for i, n in enumerate(added)
        }
    return {name: index for index, name in enumerate(names)}


def _field_apply(ctx: Context, entity: Entity, field: EntityField, doc: FieldDoc, position: int) -> None:
    created = field._state.adding
    values = _field_values(ctx, doc)
    if values is None:
        return
    values["position"] = position
    changed = assign(field, values)
    if field.allowed_values != doc.allowed_values:
        field.enum_values = "\n".join(doc.allowed_values)
        changed.append("enum_values")
    if not checked_save(ctx, field, changed=changed, path=doc.path, names=FIELD_NAMES):
        ctx.mark_broken("field", entity.name, doc.name)
        return
    label = f"{entity.name}.{doc.name}"
    if created or changed:
        ctx.report.record(created=created, kind="field", label=label, changed=named(changed, FIELD_NAMES))


def _field_values(ctx: Context, doc: FieldDoc) -> dict[str, Any] | None:
    reference = None
    if doc.reference is not None:
        reference = ctx.entity(doc.reference, f"{doc.path}.reference")
        if reference is None:
            return None
    return {
        "label": doc.label,
        "type": doc.type,
        "required": doc.required,
        "natural_key": doc.natural_key,
        "format_rule": doc.format_rule,
        "reference_entity_id": reference.pk if reference else None,
        "help": doc.help,
    }


def _field_check(ctx: Context, doc: FieldDoc) -> None:
    values = _field_values(ctx, doc)
    if values is None:
        return
    field = EntityField(name=doc.name, enum_values="\n".join(doc.allowed_values), **values)
    try:
        field.full_clean(exclude=["entity"])
    except ValidationError as error:
        ctx.invalid(doc.path, error, FIELD_NAMES)
