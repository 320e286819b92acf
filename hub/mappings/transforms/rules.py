"""Mapping rules: read a source path, run its chain, write the target path.

Rules are parsed once by ``compile_rules``; ``CompiledMapping.apply`` then runs per record with no
parsing at all, so a run over many records pays the parsing cost once.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.mappings.paths import MISSING, Part, get_path, parse_path, set_path
from hub.mappings.transforms.base import Step, TransformError, TransformSyntaxError
from hub.mappings.transforms.chain import apply_chain, parse_chain


@dataclass(frozen=True)
class RuleSpec:
    """One rule. An empty ``source`` reads nothing (for 'constant' and 'template' rules)."""

    source: str
    target: str
    transforms: Sequence[str] = ()


@dataclass
class MappingResult:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class MappingSyntaxError(ValueError):
    """Some rules cannot be understood; ``errors`` holds the messages by target, like ``MappingResult``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{target}: {' '.join(messages)}" for target, messages in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CompiledRule:
    source: str
    target: str
    steps: tuple[Step, ...]
    source_key: str | None = None  # set when the source is one plain key: read without walking a path
    target_key: str | None = None  # the same for the target

    def read(self, record: Mapping[str, Any]) -> Any:
        if self.source_key is not None and isinstance(record, dict):
            value = record.get(self.source_key)
        else:
            value = get_path(record, self.source) if self.source else None
            value = None if value is MISSING else value
        return apply_chain(self.steps, value, record=record) if self.steps else value


@dataclass(frozen=True)
class CompiledMapping:
    rules: tuple[CompiledRule, ...]

    def apply(self, source: Mapping[str, Any]) -> MappingResult:
        """Map one record; a failing rule is reported under its target and does not stop the others."""
        result = MappingResult()
        for rule in self.rules:
            try:
                value = rule.read(source)
            except TransformError as exc:
                result.errors.setdefault(rule.target, []).append(exc.message)
                continue
            if rule.target_key is not None:
                result.values[rule.target_key] = value
                continue
            try:
                set_path(result.values, rule.target, value)
            except ValueError as exc:
                result.errors.setdefault(rule.target, []).append(str(exc))
        return result


def rule_errors(rule: RuleSpec) -> list[str]:
    """What is wrong with one rule, in words for the admin; empty when it is fine."""
    errors = _path_errors("source", rule.source) if rule.source else []
    errors.extend(_path_errors("target", rule.target))
    try:
        parse_chain(rule.transforms)
    except TransformSyntaxError as exc:
        errors.append(exc.message)
    return errors


def compile_rules(rules: Sequence[RuleSpec]) -> CompiledMapping:
    """Parse every rule once; raise ``MappingSyntaxError`` listing every wrong rule."""
    errors: dict[str, list[str]] = {}
    for rule in rules:
        messages = rule_errors(rule)
        if messages:
            errors.setdefault(rule.target, []).extend(messages)
    _check_targets(rules, errors)
    if errors:
        raise MappingSyntaxError(errors)
    return CompiledMapping(tuple(_compile(rule) for rule in rules))


def apply_rules(rules: Sequence[RuleSpec], source: Mapping[str, Any]) -> MappingResult:
    """Compile and apply in one go; prefer ``compile_rules(rules).apply`` for many records."""
    return compile_rules(rules).apply(source)


def _compile(rule: RuleSpec) -> CompiledRule:
    return CompiledRule(
        rule.source,
        rule.target,
        tuple(parse_chain(rule.transforms)),
        source_key=_plain_key(rule.source) if rule.source else None,
        target_key=_plain_key(rule.target),
    )


def _plain_key(path: str) -> str | None:
    """The key when ``path`` is a single object key (``email``), else None (``address.city``, ``0``)."""
    parts = parse_path(path)
    return parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None


def _path_errors(label: str, path: str) -> list[str]:
    try:
        parse_path(path)
    except ValueError as exc:
        return [f"{label}: {exc}"]
    return []


def _check_targets(rules: Sequence[RuleSpec], errors: dict[str, list[str]]) -> None:
    """Two rules must not write the same place, nor one inside the other ('name' and 'name.first')."""
    seen: dict[tuple[Part, ...], str] = {}
    for rule in rules:
        try:
            parts = parse_path(rule.target)
        except ValueError:
            continue
        for other_parts, other in seen.items():
            shorter = min(len(parts), len(other_parts))
            if parts[:shorter] == other_parts[:shorter]:
                errors.setdefault(rule.target, []).append(
                    f"target: '{other}' is already written by another rule"
                )
                break
        seen[parts] = rule.target
