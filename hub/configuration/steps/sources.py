"""Sources of truth: upserted by (entity, field); the file names the system that wins."""

from __future__ import annotations

from hub.catalog.models import EntityField, SourceOfTruth
from hub.configuration.document import SourceDoc
from hub.configuration.report import Action
from hub.configuration.steps.context import Context, assign, checked_save, named

NAMES = {"system_id": "system", "field_id": "field"}


def sources_apply(ctx: Context) -> None:
    for doc in ctx.document.sources:
        _source_apply(ctx, doc)
    listed = {(doc.entity, doc.field) for doc in ctx.document.sources}
    for source in SourceOfTruth.objects.select_related("entity", "field"):
        field = source.field.name if source.field else None
        if (source.entity.name, field) not in listed:
            label = f"{source.entity.name}.{field}" if field else source.entity.name
            ctx.report.add(Action.LEFT_ALONE, "source of truth", label)


def _source_apply(ctx: Context, doc: SourceDoc) -> None:
    entity = ctx.entity(doc.entity, f"{doc.path}.entity")
    system = ctx.system(doc.system, f"{doc.path}.system")
    if entity is None or system is None:
        return
    field: EntityField | None = None
    if doc.field is not None:
        field = ctx.kept_fields(entity).get(doc.field)
        if field is None:
            if not ctx.broken("field", entity.name, doc.field):
                ctx.problems.add(f"{doc.path}.field", f"'{doc.field}' is not a field of {entity.name}")
            return
    source = SourceOfTruth.objects.filter(entity=entity, field=field).first()
    source = source or SourceOfTruth(entity=entity, field=field)
    created = source._state.adding
    changed = assign(source, {"system_id": system.pk, "note": doc.note})
    if checked_save(ctx, source, changed=changed, path=doc.path, names=NAMES):
        ctx.report.record(
            created=created, kind="source of truth", label=doc.label, changed=named(changed, NAMES)
        )
