"""Checking, publishing and restoring mapping rules, and previewing a mapping on a sample record."""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hub.audit.services import Actor, actor_user
from hub.catalog.schema import EntitySchema, clean_record
from hub.mappings.models import Direction, Mapping, MappingRule, MappingVersion
from hub.mappings.paths import MISSING, get_path, validate_path
from hub.mappings.transforms import (
    MappingSyntaxError,
    RuleSpec,
    TransformSyntaxError,
    apply_rules,
    compile_rules,
    parse_chain,
)


class MappingError(Exception):
    pass


def rule_errors(*, rule: RuleSpec, direction: str, field_names: set[str], entity: str) -> dict[str, str]:
    """What is wrong with one rule, by the part of the rule at fault ('source', 'target', 'transforms')."""
    errors: dict[str, str] = {}
    canonical_side, system_side = (
        ("target", "source") if direction == Direction.INBOUND else ("source", "target")
    )
    canonical = getattr(rule, canonical_side)
    if canonical not in field_names:
        known = ", ".join(sorted(field_names)) or "none yet"
        errors[canonical_side] = f"'{canonical}' is not a field of {entity} (its fields: {known})."
    try:
        validate_path(getattr(rule, system_side))
    except ValueError as error:
        errors[system_side] = str(error)
    try:
        parse_chain(list(rule.transforms))
    except TransformSyntaxError as error:
        errors["transforms"] = str(error)
    return errors


def rules_errors(
    *, rules: Sequence[RuleSpec], direction: str, field_names: set[str], entity: str
) -> dict[int, dict[str, str]]:
    """Errors per rule position, including a target mapped twice."""
    found: dict[int, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        errors = rule_errors(rule=rule, direction=direction, field_names=field_names, entity=entity)
        if rule.target in seen:
            errors["target"] = f"'{rule.target}' is already mapped by rule {seen[rule.target] + 1}."
        seen.setdefault(rule.target, index)
        if errors:
            found[index] = errors
    _overlapping_targets(rules, found)
    return found


def _overlapping_targets(rules: Sequence[RuleSpec], found: dict[int, dict[str, str]]) -> None:
    """The compiler's own check: no two rules write the same place or one inside the other."""
    try:
        compile_rules([r for i, r in enumerate(rules) if i not in found])
    except MappingSyntaxError as error:
        for index, rule in enumerate(rules):
            if rule.target in error.errors and index not in found:
                found[index] = {"target": " ".join(error.errors[rule.target]).removeprefix("target: ")}


def draft_rules(mapping: Mapping) -> list[RuleSpec]:
    return [
        RuleSpec(source=r.source, target=r.target, transforms=list(r.transforms))
        for r in mapping.rules.order_by("position", "pk")
    ]


def rules_to_data(rules: Sequence[RuleSpec]) -> list[dict[str, Any]]:
    return [{"source": r.source, "target": r.target, "transforms": list(r.transforms)} for r in rules]


def rules_from_data(data: Sequence[MappingType[str, Any]]) -> list[RuleSpec]:
    return [
        RuleSpec(source=str(d["source"]), target=str(d["target"]), transforms=list(d.get("transforms") or []))
        for d in data
    ]


def mapping_latest_version(mapping: Mapping) -> MappingVersion | None:
    return mapping.versions.order_by("-number").first()


def mapping_has_unpublished_changes(mapping: Mapping) -> bool:
    latest = mapping_latest_version(mapping)
    return latest is None or latest.rules != rules_to_data(draft_rules(mapping))


def mapping_publish(*, mapping: Mapping, note: str, actor: Actor) -> MappingVersion:
    """Freeze the draft rules as the next version. Two people publishing at once get two numbers."""
    if not mapping_has_unpublished_changes(mapping):
        latest = mapping_latest_version(mapping)
        raise MappingError(
            f"Nothing to publish: the rules are version {latest.number if latest else '?'} already."
        )
    rules = draft_rules(mapping)
    field_names = set(mapping.entity.fields.values_list("name", flat=True))
    errors = rules_errors(
        rules=rules, direction=mapping.direction, field_names=field_names, entity=mapping.entity.name
    )
    if errors:
        first = next(iter(errors.items()))
        raise MappingError(f"Rule {first[0] + 1} cannot be published: {'; '.join(first[1].values())}")
    for _ in range(3):
        try:
            with transaction.atomic():
                number = (mapping.versions.aggregate(n=Max("number"))["n"] or 0) + 1
                return MappingVersion.objects.create(
                    mapping=mapping,
                    number=number,
                    rules=rules_to_data(rules),
                    note=note,
                    published_at=timezone.now(),
                    published_by=actor_user(actor),
                )
        except IntegrityError:
            continue  # another publisher took this number: take the next one
    raise MappingError("Could not publish: others kept publishing at the same moment. Try again.")


@transaction.atomic
def mapping_rules_save(
    *, save: Sequence[MappingRule], retargeted: set[int], delete: Sequence[MappingRule]
) -> None:
    """Save edited draft rules. A rule whose target changed is replaced (removed, then added), so that two
    rules may swap targets without tripping the one-rule-per-target constraint halfway."""
    for rule in delete:
        rule.delete()
    moved = [rule for rule in save if rule.pk in retargeted]
    for rule in moved:
        MappingRule.objects.get(pk=rule.pk).delete()
        rule.pk = None
    for rule in sorted(save, key=lambda r: r.pk is None):
        rule.save()


@transaction.atomic
def mapping_restore(*, version: MappingVersion) -> None:
    """Replace the draft rules with the rules of an earlier version (publish to make them current)."""
    mapping = version.mapping
    for rule in mapping.rules.all():
        rule.delete()  # one by one, so that the audit trail records each rule that goes
    for position, data in enumerate(version.rules):
        MappingRule.objects.create(mapping=mapping, position=position, **data)
    mapping.save(update_fields=["updated_at"])


@dataclass
class PreviewRow:
    target: str
    value: Any
    errors: list[str]


@dataclass
class Preview:
    rows: list[PreviewRow]
    output: dict[str, Any]
    record_errors: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return not self.record_errors and all(not row.errors for row in self.rows)


def mapping_preview(
    *, rules: Sequence[RuleSpec], direction: str, schema: EntitySchema, sample: MappingType[str, Any]
) -> Preview:
    """Map a sample record and, inbound, validate the result against the entity, field by field."""
    mapped = apply_rules(rules, sample)
    output = mapped.values
    record_errors: dict[str, list[str]] = {}
    if direction == Direction.INBOUND:
        checked = clean_record(schema, mapped.values)
        output = {**mapped.values, **checked.values}
        record_errors = checked.errors
    targets = [rule.target for rule in rules]
    rows = [
        PreviewRow(
            target=target,
            value=output.get(target) if direction == Direction.INBOUND else _lookup(output, target),
            errors=[*mapped.errors.get(target, []), *record_errors.get(target, [])],
        )
        for target in targets
    ]
    extra = {k: v for k, v in record_errors.items() if k not in targets}
    return Preview(rows=rows, output=output, record_errors=extra)


def _lookup(values: MappingType[str, Any], dotted: str) -> Any:
    found = get_path(values, dotted)
    return None if found is MISSING else found
