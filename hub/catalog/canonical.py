"""The canonical form of values, shared by record validation and by the mapping transforms.

Every function takes an already parsed value (or plain text in canonical form) and returns the
JSON-able form the hub stores, or raises ``ValueError`` with a message for people.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

E164: Final = re.compile(r"\+[1-9]\d{7,14}")
MAX_INTEGER_DIGITS: Final = 30  # the longest whole number a field holds
_INTEGER_LIMIT: Final = 10**MAX_INTEGER_DIGITS

_INTEGER_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_EMAIL = re.compile(
    r"(?P<local>[^@\s\"(),:;<>\[\\\]]+)@(?P<domain>(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[\w-]+))"
)


def show(value: Any, limit: int = 60) -> str:
    """A value quoted for an error message, shortened when long."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def describe(value: Any) -> str:
    """What kind of value this is, in plain words."""
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "text" if isinstance(value, str) else f"a {type(value).__name__}"


def format_utc(moment: datetime) -> str:
    """``2026-11-20T09:00:00Z``: aware datetimes only, in UTC, seconds unless there are microseconds."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the date and time has no time zone")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date and time is out of range") from None
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def format_decimal(number: Decimal) -> str:
    """``1234.50``: plain digits, a dot, the scale as given; never an exponent or ``-0``."""
    if not number.is_finite():
        raise ValueError(f"{show(str(number))} is not a number that can be stored")
    if number.is_zero():
        number = abs(number)
    return format(number, "f")


def decimal_from_number(value: int | float | Decimal) -> Decimal:
    """A Decimal from a number value; floats go through their shortest text form (0.1 stays 0.1)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a yes/no value")
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{show(value)} is not a number") from exc


def decimal_from_text(text: str) -> Decimal:
    """A Decimal from canonical text: digits with an optional dot, such as ``-1234.50``."""
    if not _DECIMAL_TEXT.fullmatch(text.strip()):
        raise ValueError(
            f"expected a number such as 1234.50 (dot as decimal separator, no thousands separator), "
            f"got {show(text)}; add a 'decimal' step to the mapping to read other formats"
        )
    return Decimal(text.strip())


def parse_integer(value: Any) -> int:
    """An int from an int, an integral float or text such as ``"12"``; never from a yes/no value."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a yes/no value")
    if isinstance(value, int):
        number = Decimal(value) if -_INTEGER_LIMIT < value < _INTEGER_LIMIT else None
    elif isinstance(value, float | Decimal) and _is_integral(value):
        number = Decimal(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        raise ValueError(f"expected a whole number such as 12, got {show(value)}")
    # Checked before it becomes an int: a longer one cannot be stored or sent (JSON and the databases
    # stop far below), and turning a huge one into an int would take long.
    if number is None or (not number.is_zero() and number.adjusted() >= MAX_INTEGER_DIGITS):
        got = show(value.strip()) if isinstance(value, str) else "a longer one"
        raise ValueError(f"expected a whole number of at most {MAX_INTEGER_DIGITS} digits, got {got}")
    return int(number)


def normalize_email(text: str, *, lower_local: bool = False) -> str:
    """The address trimmed, its domain (and with ``lower_local`` all of it) in lower case."""
    match = _EMAIL.fullmatch(text.strip())
    if match is None or ".." in match["local"] or match["local"].startswith("."):
        raise ValueError(f"{show(text)} does not look like an e-mail address (name@example.com)")
    local = match["local"].lower() if lower_local else match["local"]
    return f"{local}@{match['domain'].lower()}"


def _is_integral(value: float | Decimal) -> bool:
    return bool(Decimal(value).is_finite() and Decimal(value) == Decimal(value).to_integral_value())
