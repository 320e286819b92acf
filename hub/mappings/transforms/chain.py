"""The registry of transforms, and parsing and applying chains of steps."""

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from hub.mappings.transforms import contact, dates, numbers, text
from hub.mappings.transforms.base import (
    ArgumentError,
    Step,
    StepFailed,
    TransformError,
    TransformInfo,
    TransformSyntaxError,
    split_arguments,
)

TRANSFORMS: dict[str, TransformInfo] = {
    info.name: info for info in (*text.INFOS, *numbers.INFOS, *dates.INFOS, *contact.INFOS)
}


def parse_step(text: str, index: int = 0) -> Step:
    """Parse one step such as 'phone: DE'; ``index`` (from 0) only serves the error message."""
    label = f"step {index + 1} '{text.strip()}'"
    name, _, argument = text.partition(":")
    name = name.strip().lower()
    info = TRANSFORMS.get(name)
    if info is None:
        raise TransformSyntaxError(index, _unknown_name_message(label, name, index))
    try:
        apply = info.build(split_arguments(argument))
    except ArgumentError as exc:
        raise TransformSyntaxError(
            index, f"{label}: {exc}; expected {exc.expected or info.expected}"
        ) from None
    return Step(name=name, text=text.strip(), apply=apply)


def parse_chain(steps: Sequence[str]) -> list[Step]:
    """Parse every step; the first wrong one raises ``TransformSyntaxError``."""
    return [parse_step(step, index) for index, step in enumerate(steps)]


def apply_chain(steps: Sequence[Step], value: Any, *, record: Mapping[str, Any] | None = None) -> Any:
    """Run ``value`` through ``steps``; ``record`` is the whole source record (for 'template')."""
    context = record if record is not None else {}
    for index, step in enumerate(steps):
        try:
            value = step.apply(value, context)
        except StepFailed as exc:
            raise TransformError(index, f"step {index + 1} '{step.text}': {exc}") from None
    return value


def _unknown_name_message(label: str, name: str, index: int) -> str:
    if not name:
        return f"step {index + 1} is empty; expected a transform name such as 'trim'"
    first_word = name.split()[0]
    if first_word in TRANSFORMS:
        return f"{label}: put a ':' after '{first_word}'; expected {TRANSFORMS[first_word].expected}"
    close = difflib.get_close_matches(name, TRANSFORMS, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{label}: unknown transform '{name}'; {hint}expected one of: {', '.join(TRANSFORMS)}"
