"""Column values to JSON and back.

Records leave the connector as JSON-able dicts: dates, times and datetimes become ISO 8601 strings,
Decimals strings (no float rounding), bytes base64, UUIDs strings. On the way in (a changed-since value,
a saved position, a pushed payload) ``revive`` turns such strings back into the Python type the column
declares, so that every database compares and stores them as its own type.

A date and time with a zone (the hub's canonical ``2025-01-06T08:00:00Z``) meant for a column without one
becomes the UTC time without its zone. Left with its zone, SQLite would drop the zone while PostgreSQL
converts it to the session's time zone: the same record would be stored (and a changed-since position
compared) an hour or more apart depending on a server setting the hub does not control.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa


def to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return str(value)


def row_to_json(row: sa.Row[Any]) -> dict[str, Any]:
    return {name: to_json(value) for name, value in row._mapping.items()}


def python_type(column: sa.Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def revive(column: sa.Column[Any], value: Any) -> Any:
    """``value`` as the column's Python type; raises ``ValueError`` when it cannot be one."""
    kind = python_type(column)
    reviver = _REVIVERS.get(kind) if kind is not None else None
    if value is None or reviver is None:
        return value
    revived = value if isinstance(value, kind or ()) else reviver(value)
    if kind is dt.datetime and not _keeps_zone(column):
        return _utc_wall_time(revived)
    return revived


def _keeps_zone(column: sa.Column[Any]) -> bool:
    return bool(getattr(column.type, "timezone", False))


def _utc_wall_time(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.fromisoformat(_text(value))


def _date(value: Any) -> dt.date:
    text = _text(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).date()


def _time(value: Any) -> dt.time:
    return dt.time.fromisoformat(_text(value))


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("true/false is not a number")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("not a whole number")
    return int(value if isinstance(value, float) else str(value).strip())


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value.strip()


_REVIVERS: dict[type, Callable[[Any], Any]] = {
    dt.datetime: _datetime,
    dt.date: _date,
    dt.time: _time,
    Decimal: _decimal,
    int: _integer,
}

# What each reviver expects, in words for an error message.
EXPECTED = {
    dt.datetime: "a date and time like 2024-05-31T14:30:00",
    dt.date: "a date like 2024-05-31",
    dt.time: "a time like 14:30:00",
    Decimal: "a number",
    int: "a whole number",
}
