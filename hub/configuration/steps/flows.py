"""Flows: upserted by name; the file's targets and fields replace the stored ones."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from hub.catalog.models import Entity, EntityField
from hub.configuration.document import FlowDoc
from hub.configuration.report import Action
from hub.configuration.steps.context import Context, assign, guarded_save, named
from hub.flows.models import Flow
from hub.flows.services import flow_errors
from hub.systems.models import System

NAMES = {"entity_id": "entity", "source_id": "source"}


def flows_apply(ctx: Context) -> None:
    """Runs last: ``flow_errors`` looks for the mappings, which the earlier steps have saved by now."""
    for doc in ctx.document.flows:
        _flow_apply(ctx, doc)
    for flow in Flow.objects.exclude(name__in=[doc.name for doc in ctx.document.flows]):
        ctx.report.add(Action.LEFT_ALONE, "flow", flow.name)


def _flow_apply(ctx: Context, doc: FlowDoc) -> None:
    entity = ctx.entity(doc.entity, f"{doc.path}.entity")
    source = ctx.system(doc.source, f"{doc.path}.source")
    targets = [ctx.system(name, f"{doc.path}.targets[{i}]") for i, name in enumerate(doc.targets)]
    fields = _fields(ctx, doc, entity) if entity is not None else None
    if entity is None or source is None or fields is None or None in targets:
        return
    flow = Flow.objects.filter(name=doc.name).first() or Flow(name=doc.name)
    created = flow._state.adding
    changed = assign(flow, _values(doc, entity, source))
    wanted = [target for target in targets if target is not None]
    if not _valid(ctx, doc, flow, wanted, fields):
        return
    if (created or changed) and not guarded_save(ctx, flow, changed=changed, path=doc.path):
        return
    changed += _relations_set(flow, wanted, fields, created)
    ctx.report.record(created=created, kind="flow", label=doc.name, changed=named(changed, NAMES))


def _values(doc: FlowDoc, entity: Entity, source: System) -> dict[str, Any]:
    return {
        "entity_id": entity.pk,
        "source_id": source.pk,
        "business_outcome": doc.business_outcome,
        "freshness_minutes": doc.freshness_minutes,
        "trigger": doc.trigger,
        "interval_minutes": doc.interval_minutes,
        "cron": doc.cron,
        "state": doc.state,
        "description": doc.description,
        "cursor_field": doc.cursor_field,
        "create_in_targets": doc.create_in_targets,
        "max_attempts": doc.max_attempts,
        "retry_base_seconds": doc.retry_base_seconds,
        "retry_window_seconds": doc.retry_window_seconds,
    }


def _fields(ctx: Context, doc: FlowDoc, entity: Entity) -> list[EntityField] | None:
    known = ctx.kept_fields(entity)
    missing = False
    for index, name in enumerate(doc.fields):
        if name not in known:
            missing = True
            if not ctx.broken("field", entity.name, name):
                ctx.problems.add(f"{doc.path}.fields[{index}]", f"'{name}' is not a field of {entity.name}")
    return None if missing else [known[name] for name in doc.fields]


def _valid(ctx: Context, doc: FlowDoc, flow: Flow, targets: list[System], fields: list[EntityField]) -> bool:
    errors = flow_errors(
        source=flow.source,
        entity=flow.entity,
        targets=targets,
        fields=fields,
        trigger=flow.trigger,
        interval_minutes=flow.interval_minutes,
        cron=flow.cron,
        cursor_field=flow.cursor_field,
    )
    if _mapping_broken(ctx, doc):
        errors.pop("source", None)
        errors.pop("targets", None)
    for key, message in errors.items():
        ctx.problems.add(f"{doc.path}.{key}", message)
    try:
        # flow_errors already explains a missing interval or cron; the constraints would repeat it.
        flow.full_clean(validate_constraints=not errors)
    except ValidationError as error:
        ctx.invalid(doc.path, error, NAMES)
        return False
    return not errors


def _mapping_broken(ctx: Context, doc: FlowDoc) -> bool:
    """A mapping of this flow's entity failed in the file: its absence is no news to report."""
    return any(key[0] == "mapping" and key[2] == doc.entity for key in ctx.document.broken)


def _relations_set(flow: Flow, targets: list[System], fields: list[EntityField], created: bool) -> list[str]:
    changed = []
    if {t.pk for t in targets} != set(flow.targets.values_list("pk", flat=True)):
        flow.targets.set(targets)
        changed.append("targets")
    if {f.pk for f in fields} != set(flow.fields.values_list("pk", flat=True)):
        flow.fields.set(fields)
        changed.append("fields")
    return [] if created else changed
