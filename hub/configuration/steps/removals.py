"""Fields the file leaves out: removed after every other step, and only when nothing still uses them.

Mappings, flows and sources of truth that the file does not list are left alone, so a field they use
cannot go: deleting it would silently cut it out of a flow and take its source of truth with it, while
their rules would point at nothing. Such a removal is an error at the entity's ``fields``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from django.apps import apps

from hub.catalog.models import EntityField
from hub.configuration.report import Action
from hub.configuration.steps.context import Context
from hub.configuration.steps.mappings import mapping_label
from hub.mappings.models import Direction, Mapping
from hub.mappings.services import draft_rules


class _Rule(Protocol):  # a rule of the file (RuleDoc) or a stored draft rule (RuleSpec)
    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...


def fields_remove(ctx: Context) -> None:
    for removal in ctx.removals:
        field = removal.field
        uses = [*_rule_uses(ctx, field), *_flow_uses(ctx, field), *_source_uses(ctx, field)]
        if uses:
            ctx.problems.add(
                removal.path,
                f"field '{field.name}' of {field.entity.name} cannot be removed: still used by "
                f"{', '.join(uses)}; remove those uses first (in this file or the admin)",
            )
        else:
            _remove(ctx, field)


def _rule_uses(ctx: Context, field: EntityField) -> Iterator[str]:
    """Draft rules after the import: the file's for the mappings it lists, the stored ones for the rest."""
    entity = field.entity.name
    listed = set()
    for doc in ctx.document.mappings:
        if doc.entity == entity:
            listed.add((doc.system, doc.direction))
            yield from _rules_using(doc.label, doc.direction, doc.rules, field.name)
    for mapping in Mapping.objects.filter(entity=field.entity).select_related("system", "entity"):
        if (mapping.system.name, mapping.direction) not in listed:
            rules = draft_rules(mapping)
            yield from _rules_using(mapping_label(mapping), mapping.direction, rules, field.name)


def _rules_using(label: str, direction: str, rules: Sequence[_Rule], name: str) -> Iterator[str]:
    inbound = direction == Direction.INBOUND  # inbound rules name the field as target, outbound as source
    numbers = [str(i) for i, r in enumerate(rules, start=1) if (r.target if inbound else r.source) == name]
    if numbers:
        yield f"mapping {label} {'rule' if len(numbers) == 1 else 'rules'} {', '.join(numbers)}"


def _flow_uses(ctx: Context, field: EntityField) -> Iterator[str]:
    """The file's ``fields`` for the flows it lists; the stored ones (of any entity) for the rest."""
    for doc in ctx.document.flows:
        if doc.entity == field.entity.name and field.name in doc.fields:
            yield f"flow '{doc.name}'"
    listed = [doc.name for doc in ctx.document.flows]
    for name in field.flows.exclude(name__in=listed).values_list("name", flat=True):
        yield f"flow '{name}'"


def _source_uses(ctx: Context, field: EntityField) -> Iterator[str]:
    """The file's entry for the field, else the stored one: the import never removes a source of truth."""
    entity = field.entity.name
    systems = [doc.system for doc in ctx.document.sources if (doc.entity, doc.field) == (entity, field.name)]
    systems += [source.system.name for source in field.sources_of_truth.select_related("system")]
    if systems:
        yield f"source of truth {entity}.{field.name} ({systems[0]})"


def _remove(ctx: Context, field: EntityField) -> None:
    """Delete the field; anything a database cascade takes with it is named, so nothing goes unreported."""
    _, removed = field.delete()
    also = [
        f"with {count} {apps.get_model(label)._meta.verbose_name}"
        for label, count in removed.items()
        if count and label != EntityField._meta.label
    ]
    ctx.report.add(Action.REMOVE, "field", f"{field.entity.name}.{field.name}", also)
