"""Mappings: upserted by (system, entity, direction); draft rules replaced as a whole; versions added."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from hub.catalog.models import Entity
from hub.configuration.document import MappingDoc, RuleDoc, VersionDoc
from hub.configuration.report import Action
from hub.configuration.steps.context import Context, assign, checked_save
from hub.mappings.models import Direction, Mapping, MappingRule, MappingVersion
from hub.mappings.services import draft_rules, rules_errors, rules_to_data
from hub.mappings.transforms import RuleSpec


def mappings_apply(ctx: Context) -> None:
    for doc in ctx.document.mappings:
        _mapping_apply(ctx, doc)
    listed = {(doc.system, doc.entity, doc.direction) for doc in ctx.document.mappings}
    for mapping in Mapping.objects.select_related("system", "entity"):
        if (mapping.system.name, mapping.entity.name, mapping.direction) not in listed:
            ctx.report.add(Action.LEFT_ALONE, "mapping", mapping_label(mapping))


def _mapping_apply(ctx: Context, doc: MappingDoc) -> None:
    system = ctx.system(doc.system, f"{doc.path}.system")
    entity = ctx.entity(doc.entity, f"{doc.path}.entity")
    if system is None or entity is None:
        ctx.mark_broken("mapping", doc.system, doc.entity, doc.direction)
        return
    found = Mapping.objects.filter(system=system, entity=entity, direction=doc.direction).first()
    mapping = found or Mapping(system=system, entity=entity, direction=doc.direction)
    created = mapping._state.adding
    changed = assign(
        mapping, {"resource": doc.resource, "id_path": doc.id_path, "description": doc.description}
    )
    if not checked_save(ctx, mapping, changed=changed, path=doc.path, names={}):
        ctx.mark_broken("mapping", doc.system, doc.entity, doc.direction)
        return
    if doc.direction not in Direction.values:
        return
    if _rules_apply(ctx, doc, mapping, entity):
        changed.append("rules")
    ctx.report.record(created=created, kind="mapping", label=doc.label, changed=changed)
    _versions_apply(ctx, doc, mapping, entity)


def _rules_apply(ctx: Context, doc: MappingDoc, mapping: Mapping, entity: Entity) -> bool:
    """Replace the draft rules when they differ from the file's; True when they were replaced."""
    specs = _specs(doc.rules)
    if not _rules_valid(ctx, doc, doc.rules, specs, entity):
        return False
    wanted = rules_to_data(specs)
    if rules_to_data(draft_rules(mapping)) == wanted:
        return False
    mapping.rules.all().delete()
    for position, rule in enumerate(wanted):  # one by one, so that the audit trail sees each rule
        MappingRule.objects.create(mapping=mapping, position=position, **rule)
    mapping.save(update_fields=["updated_at"])
    return True


def _rules_valid(
    ctx: Context, doc: MappingDoc, rules: Sequence[RuleDoc], specs: list[RuleSpec], entity: Entity
) -> bool:
    errors = rules_errors(
        rules=specs, direction=doc.direction, field_names=ctx.field_names(entity), entity=entity.name
    )
    for index, parts in errors.items():
        for part, message in parts.items():
            ctx.problems.add(f"{rules[index].path}.{part}", message)
    return not errors


def _versions_apply(ctx: Context, doc: MappingDoc, mapping: Mapping, entity: Entity) -> None:
    stored = {version.number: version for version in mapping.versions.all()}
    for version_doc in sorted(doc.versions, key=lambda v: v.number):
        version = stored.get(version_doc.number)
        if version is None:
            _version_create(ctx, doc, version_doc, mapping, entity)
        else:
            _version_compare(ctx, doc, version_doc, version)
    listed = {version_doc.number for version_doc in doc.versions}
    for number in sorted(set(stored) - listed):
        ctx.report.warnings.append(
            f"version {number} of {doc.label} is published but not in the file: published versions are kept"
        )


def _version_create(
    ctx: Context, doc: MappingDoc, version_doc: VersionDoc, mapping: Mapping, entity: Entity
) -> None:
    specs = _specs(version_doc.rules)
    if not _rules_valid(ctx, doc, version_doc.rules, specs, entity):
        return
    MappingVersion.objects.create(
        mapping=mapping,
        number=version_doc.number,
        rules=rules_to_data(specs),
        note=version_doc.note,
        published_at=timezone.now(),
        published_by=_user(ctx),
    )
    ctx.report.add(Action.CREATE, "version", f"{version_doc.number} of {doc.label}")


def _version_compare(ctx: Context, doc: MappingDoc, version_doc: VersionDoc, version: MappingVersion) -> None:
    if version.rules != rules_to_data(_specs(version_doc.rules)):
        ctx.problems.add(
            version_doc.path,
            f"version {version.number} of {doc.system} → {doc.entity} was published already with other "
            "rules; versions cannot be changed: publish a new number",
        )
    elif version.note != version_doc.note:
        ctx.report.warnings.append(
            f"version {version.number} of {doc.label} has another note in the file: the published one is kept"
        )


def _specs(rules: Sequence[RuleDoc]) -> list[RuleSpec]:
    return [
        RuleSpec(source=rule.source, target=rule.target, transforms=list(rule.transforms)) for rule in rules
    ]


def _user(ctx: Context) -> Any:
    return ctx.actor if ctx.actor is not None and ctx.actor.is_authenticated else None


def mapping_label(mapping: Mapping) -> str:
    return f"{mapping.system.name} → {mapping.entity.name} ({mapping.direction})"
