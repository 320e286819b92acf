"""Validation of a canonical record against its entity, without Django.

The catalog models convert themselves into ``EntitySchema``; ``clean_record`` turns a record into
canonical JSON-able values and plain-worded errors. It never raises on bad data.

Canonical values: text as given; integer as ``int``; decimal as text ``"1234.50"``; boolean as
``bool``; date as ``"2026-11-20"``; datetime as ``"2026-11-20T09:00:00Z"``; e-mail with its domain in
lower case; phone in E.164 (``"+49301234567"``); enum as one of its values; reference as the text id.

Date-times without a time zone are refused: the hub cannot know where "10:00" happened. Mappings
supply the zone with a step such as ``datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin``.
"""

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from hub.catalog import canonical
from hub.catalog.canonical import describe, show

REQUIRED = "This field is required."

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class FieldType(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    PHONE = "phone"
    ENUM = "enum"
    REFERENCE = "reference"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    required: bool = False
    natural_key: bool = False
    format_rule: str = ""
    enum_values: tuple[str, ...] = ()
    reference_entity: str | None = None
    label: str = ""


@dataclass(frozen=True)
class EntitySchema:
    name: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}


@dataclass
class CleanResult:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Invalid(ValueError):
    pass


def clean_record(schema: EntitySchema, record: Mapping[str, Any], *, partial: bool = False) -> CleanResult:
    """Check and coerce ``record``; the errors are keyed by field name.

    A field absent from the record stays absent from ``values``; present but empty becomes None.
    With ``partial`` (an update that sends only some fields) absent required fields are no error.
    """
    result = CleanResult()
    for key in record:
        if schema.field(str(key)) is None:
            result.errors[str(key)] = [f"not a field of entity {schema.name}"]
    for spec in schema.fields:
        if spec.name not in record and (partial or not spec.required):
            continue
        _clean_into(result, spec, record.get(spec.name))
    return result


def natural_key(schema: EntitySchema, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The values of the natural-key fields, in field order; None when one is empty or there are none."""
    key = tuple(values.get(spec.name) for spec in schema.fields if spec.natural_key)
    if not key or any(_is_empty(part) for part in key):
        return None
    return key


def validate_format_rule(rule: str) -> None:
    """Raise ``ValueError`` saying what is wrong when ``rule`` is not a usable regular expression."""
    try:
        re.compile(rule)
    except re.error as exc:
        where = f" at position {exc.pos + 1}" if exc.pos is not None else ""
        raise ValueError(f"the format rule is not a valid regular expression: {exc.msg}{where}") from exc


def clean_value(spec: FieldSpec, value: Any) -> Any:
    """The canonical form of one non-empty value; raises ``ValueError`` with a message for people."""
    coerce = _COERCERS.get(spec.type)
    if coerce is None:
        raise _Invalid(f"the field has an unknown type {show(spec.type)}; fix the field")
    cleaned = coerce(spec, value)
    _check_format_rule(spec, cleaned)
    return cleaned


def _clean_into(result: CleanResult, spec: FieldSpec, value: Any) -> None:
    if _is_empty(value):
        if spec.required:
            result.errors[spec.name] = [REQUIRED]
        else:
            result.values[spec.name] = None
        return
    try:
        result.values[spec.name] = clean_value(spec, value)
    except ValueError as exc:
        result.errors[spec.name] = [str(exc)]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_format_rule(spec: FieldSpec, cleaned: Any) -> None:
    if not spec.format_rule or isinstance(cleaned, bool):
        return
    try:
        matched = re.fullmatch(spec.format_rule, str(cleaned))
    except re.error as exc:
        raise _Invalid(
            f"the field's format rule {spec.format_rule} is broken ({exc.msg}); fix the field"
        ) from exc
    if matched is None:
        raise _Invalid(f"{show(str(cleaned))} does not match the required format {spec.format_rule}")


def _expect_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected {what}, got {describe(value)}")
    return value.strip()


def _text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected text, got {describe(value)}")
    return value


def _integer(spec: FieldSpec, value: Any) -> int:
    return canonical.parse_integer(value)


def _decimal(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, int | float | Decimal):
        return canonical.format_decimal(canonical.decimal_from_number(value))
    return canonical.format_decimal(canonical.decimal_from_text(_expect_text(value, "a number")))


def _boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _Invalid(f"expected yes or no (true/false, yes/no, 1/0), got {show(value)}")


def _date(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = _expect_text(value, "a date such as 2026-11-20")
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        raise _Invalid(f"{show(text)} is not a real date") from None
    raise _Invalid(f"expected a date such as 2026-11-20, got {show(text)}; add a 'date' step to the mapping")


def _datetime(spec: FieldSpec, value: Any) -> str:
    moment = value if isinstance(value, datetime) else _parse_iso_datetime(value)
    if moment.utcoffset() is None:
        raise _Invalid(
            f"{show(str(value))} has no time zone; add Z or an offset such as +01:00, "
            "or a 'datetime' step with tz=... to the mapping"
        )
    return canonical.format_utc(moment)


def _parse_iso_datetime(value: Any) -> datetime:
    text = _expect_text(value, "a date and time such as 2026-11-20T09:00:00Z")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(
            f"expected a date and time such as 2026-11-20T09:00:00Z, got {show(text)}; "
            "add a 'datetime' step to the mapping"
        ) from None


def _email(spec: FieldSpec, value: Any) -> str:
    return canonical.normalize_email(_expect_text(value, "an e-mail address"))


def _phone(spec: FieldSpec, value: Any) -> str:
    text = _expect_text(value, "a phone number such as +49301234567")
    if not canonical.E164.fullmatch(text):
        raise _Invalid(
            f"{show(text)} is not in international format (such as +49301234567); "
            "add a 'phone' step to the mapping, e.g. 'phone: DE'"
        )
    return text


def _enum(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, str) and value in spec.enum_values:
        return value
    allowed = ", ".join(spec.enum_values) or "(none defined)"
    hint = next((v for v in spec.enum_values if isinstance(value, str) and v.lower() == value.lower()), None)
    suggestion = f" (did you mean '{hint}'?)" if hint else ""
    raise _Invalid(f"{show(value)} is not one of the allowed values: {allowed}{suggestion}")


def _reference(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    what = f"the id of a {spec.reference_entity}" if spec.reference_entity else "an id"
    return _expect_text(value, what)


_COERCERS: dict[FieldType, Callable[[FieldSpec, Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.INTEGER: _integer,
    FieldType.DECIMAL: _decimal,
    FieldType.BOOLEAN: _boolean,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.ENUM: _enum,
    FieldType.REFERENCE: _reference,
}
