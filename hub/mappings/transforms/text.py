"""Transforms on text and on whole values: case, defaults, value maps, split, join and templates."""

import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from hub.catalog.canonical import describe, show
from hub.mappings.paths import MISSING, get_path, validate_path
from hub.mappings.transforms.base import (
    ApplyFn,
    ArgumentError,
    Arguments,
    StepFailed,
    TransformInfo,
    text_only,
)

_WORD_START = re.compile("(?:^|(?<=[\\s\\-/(]))\\w|(?<=\\b\\w['\u2019])\\w")


def title_case(text: str) -> str:
    """'anna-lena o'brien' -> 'Anna-Lena O'Brien'; unlike str.title, 'peter's' stays 'Peter's'."""
    return _WORD_START.sub(lambda match: match[0].upper(), text.lower())


def _no_arguments(function: Callable[[str], str]) -> Callable[[Arguments], ApplyFn]:
    def build(args: Arguments) -> ApplyFn:
        args.none()
        return text_only(function)

    return build


def _build_default(args: Arguments) -> ApplyFn:
    fallback = args.positional(required=True)

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        empty = value is None or (isinstance(value, str) and not value.strip())
        return fallback if empty else value

    return apply


def _build_constant(args: Arguments) -> ApplyFn:
    constant = args.positional(required=True)
    return lambda value, record: constant


def _build_value_map(args: Arguments) -> ApplyFn:
    table = _value_table(args.pairs())
    fallback = table.pop("*", None)
    folded = _casefold_table(table)

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        if value is None:
            return None
        key = _map_key(value)
        found = table.get(key, folded.get(key.casefold(), fallback))
        if found is None:
            known = ", ".join(table)
            raise StepFailed(
                f"{show(value)} is not in the value map (known: {known}); add it or a fallback *=..."
            )
        return found

    return apply


def _value_table(pairs: list[tuple[str, str]]) -> dict[str, str]:
    if not pairs:
        raise ArgumentError("the value map is empty")
    table: dict[str, str] = {}
    for raw_key, value in pairs:
        key = raw_key.strip()  # looked-up values are trimmed too
        if key in table:
            raise ArgumentError(f"'{key}' is mapped twice")
        table[key] = value
    return table


def _casefold_table(table: dict[str, str]) -> dict[str, str]:
    """Keys that differ only in case from another key are left out: a case-blind match would guess."""
    folded: dict[str, list[str]] = {}
    for key, value in table.items():
        folded.setdefault(key.casefold(), []).append(value)
    return {key: values[0] for key, values in folded.items() if len(values) == 1}


def _map_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        raise StepFailed(f"cannot look up {describe(value)} in a value map")
    return str(value).strip()


def _build_split(args: Arguments) -> ApplyFn:
    options = args.options(frozenset({"sep", "index"}))
    separator = options.get("sep", " ")
    if separator == "":
        raise ArgumentError("the separator is empty")
    index = _index_option(options.get("index"))

    def apply(text: str) -> Any:
        pieces = text.split() if separator.isspace() else [p.strip() for p in text.split(separator)]
        if index is None:
            return pieces
        return pieces[index] if -len(pieces) <= index < len(pieces) else None

    return text_only(apply)


def _index_option(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ArgumentError(
            f"index must be a whole number (0 is the first part, -1 the last), got '{raw}'"
        ) from None


def _build_join(args: Arguments) -> ApplyFn:
    separator = args.options(frozenset({"sep"})).get("sep", " ")

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        if not isinstance(value, list | tuple):
            return value
        texts = [str(item).strip() for item in value if item is not None and str(item).strip()]
        return separator.join(texts) or None

    return apply


def _build_template(args: Arguments) -> ApplyFn:
    template = args.positional(required=True) or ""
    pieces = _template_pieces(template)

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        found = [_template_value(record, path) for _, path in pieces]
        if not any(found):
            return None
        return "".join(literal + text for (literal, _), text in zip(pieces, found, strict=True)).strip()

    return apply


def _template_pieces(template: str) -> list[tuple[str, str | None]]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ArgumentError(f"{exc} (write {{{{ or }}}} for a literal brace)") from None
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if spec or conversion:
            raise ArgumentError(
                f"'{{{name}:{spec}}}' uses a format; write the field path alone, e.g. {{city}}"
            )
        pieces.append((literal, _template_path(name)))
    if all(path is None for _, path in pieces):
        raise ArgumentError("the template names no field; write e.g. {first_name} {last_name}")
    return pieces


def _template_path(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        validate_path(name)
    except ValueError as exc:
        raise ArgumentError(f"{{{name}}}: {exc}") from None
    return name


def _template_value(record: Mapping[str, Any], path: str | None) -> str:
    found = MISSING if path is None else get_path(record, path)
    return "" if found is None or found is MISSING else str(found).strip()


INFOS = (
    TransformInfo(
        "trim",
        "Trim spaces",
        "Removes spaces at the start and the end of the text. Example: '  Anna ' becomes 'Anna'.",
        "",
        "the name alone: trim",
        _no_arguments(str.strip),
    ),
    TransformInfo(
        "upper",
        "Upper case",
        "Writes the text in capital letters. Example: 'de' becomes 'DE'.",
        "",
        "the name alone: upper",
        _no_arguments(str.upper),
    ),
    TransformInfo(
        "lower",
        "Lower case",
        "Writes the text in small letters. Example: 'Anna@Example.COM' becomes 'anna@example.com'.",
        "",
        "the name alone: lower",
        _no_arguments(str.lower),
    ),
    TransformInfo(
        "title",
        "Capitalise words",
        "Starts every word with a capital letter and writes the rest small. "
        "Example: 'anna-lena SCHMIDT' becomes 'Anna-Lena Schmidt'.",
        "",
        "the name alone: title",
        _no_arguments(title_case),
    ),
    TransformInfo(
        "default",
        "Default when empty",
        "Uses the given value when the field is empty or missing; other values are kept. "
        "Example: 'default: Unknown'.",
        "default: <value>",
        "a value, e.g. 'default: Unknown'",
        _build_default,
    ),
    TransformInfo(
        "constant",
        "Fixed value",
        "Always gives the same value, whatever the source holds. Example: 'constant: EUR'.",
        "constant: <value>",
        "a value, e.g. 'constant: EUR'",
        _build_constant,
    ),
    TransformInfo(
        "value_map",
        "Translate values",
        "Replaces each listed value by another, pairs separated by ';'. '*' catches every other value; "
        "without it an unlisted value is an error. Upper/lower case is ignored when unambiguous. "
        "Example: 'value_map: A=active; I=inactive; *=unknown'.",
        "value_map: <from>=<to>; <from>=<to>; *=<otherwise>",
        "pairs such as 'value_map: A=active; I=inactive; *=unknown'",
        _build_value_map,
    ),
    TransformInfo(
        "split",
        "Split text",
        "Cuts the text at a separator (sep, a space when not given) and keeps the part at the position "
        "index (0 = first, -1 = last), or all parts as a list without index. A missing part is empty. "
        "Example: \"split: sep=' '; index=-1\" turns 'Anna Maria Schmidt' into 'Schmidt'.",
        "split: sep=<separator>; index=<position>",
        "options such as \"split: sep=','; index=0\"",
        _build_split,
    ),
    TransformInfo(
        "join",
        "Join list",
        "Joins the items of a list into one text, with the separator sep between them (a space when "
        "not given); empty items are skipped. Example: \"join: sep=', '\" turns ['Main St 1', 'Berlin'] "
        "into 'Main St 1, Berlin'.",
        "join: sep=<separator>",
        "an option such as \"join: sep=', '\"",
        _build_join,
    ),
    TransformInfo(
        "template",
        "Combine fields",
        "Builds a text from fields of the source record, each written in braces. The value of the "
        "rule itself is not used. Example: 'template: {first_name} {last_name}' gives 'Anna Schmidt'. "
        "Put the template in quotes if it contains ';' or '='.",
        "template: {field} {other.field}",
        "a text with fields in braces, e.g. 'template: {first_name} {last_name}'",
        _build_template,
    ),
)
