"""Checks a sample system applies to records it is asked to store (its seed data breaks them on purpose)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# German decimal notation: "99,00", "1.234,50", "-5,00".
_GERMAN_DECIMAL = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+),\d{2}$")


def email_problem(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    if value in (None, ""):
        return None  # a missing e-mail is allowed; a wrong one is not
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        return f"{field}: {value!r} is not an e-mail address"
    return None


def text_problem(record: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
    value = record.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        return f"{field}: must be {'a non-empty' if required else 'a'} string"
    return None


def choice_problem(record: Mapping[str, Any], field: str, choices: tuple[str, ...]) -> str | None:
    value = record.get(field)
    if value is None or value in choices:
        return None
    return f"{field}: {value!r} is not one of {', '.join(choices)}"


def german_decimal_problem(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    if isinstance(value, str) and _GERMAN_DECIMAL.match(value):
        return None
    return f"{field}: {value!r} is not a German decimal such as '1.234,50'"


def integer_problem(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return f"{field}: {value!r} is not an integer"


def object_problem(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    return None if value is None or isinstance(value, dict) else f"{field}: must be an object"


def first_problem(*problems: str | None) -> str | None:
    return next((problem for problem in problems if problem is not None), None)
