"""Read a table a page at a time by keyset, never by offset.

Rows are ordered by (changed-at column, record id column), or by the id alone when there is no
changed-at column. The next page asks for the rows after the last one seen: ``(changed, id) > (last
changed, last id)``, written as ``changed > a OR (changed = a AND id > b)`` so that every database can
use its index, and so that rows sharing one changed-at value across a page boundary are each read once.
Each page is one short query (``LIMIT page size + 1``, the extra row only tells whether more follow) on a
connection returned to the pool before the page is handed over: no transaction stays open while the
engine works, and memory holds one page.

Cursor (``Page.cursor``, passed back as ``since``): the JSON text
``{"v": 1, "after": {"<changed-at column>": <value>, "<id column>": <value>}}`` with the values of the
page's last row as they appear in records (ISO strings for dates). A new fetch from it reads the rows
whose changed-at value is ``>=`` the saved one: the rows sharing that last value are read again, so that
a row committed later with the same value is not missed (at least once; pushing twice is harmless). The
id is kept to make the position exact and readable. A plain value (``2024-05-31T00:00:00``) works as
``since`` too. Without a changed-at column every run reads the whole table, ``since`` is ignored and the
cursor is None. An empty page hands ``since`` back unchanged, so a position is never lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from connectors.base import ConnectorError, Page

from .database import talking
from .options import SqlOptions
from .values import EXPECTED, python_type, revive, row_to_json, to_json

_CURSOR_VERSION = 1


@dataclass(frozen=True)
class Keyset:
    table: sa.Table
    key: sa.Column[Any]
    incremental: sa.Column[Any] | None
    size: int

    @property
    def order(self) -> list[sa.Column[Any]]:
        return [c for c in (self.incremental, self.key) if c is not None]

    def query(self, since: Any, after: Sequence[Any] | None) -> sa.Select[Any]:
        stmt = sa.select(self.table).order_by(*self.order).limit(self.size + 1)
        if self.incremental is not None:
            stmt = stmt.where(self.incremental.is_not(None))
            if since is not None:
                stmt = stmt.where(self.incremental >= since)
        if after is not None:
            stmt = stmt.where(_after(self.order, after))
        return stmt

    def position(self, row: sa.Row[Any]) -> list[Any]:
        return [row._mapping[c.name] for c in self.order]

    def cursor(self, row: sa.Row[Any]) -> str | None:
        if self.incremental is None:
            return None
        after = {c.name: to_json(row._mapping[c.name]) for c in self.order}
        return json.dumps({"v": _CURSOR_VERSION, "after": after}, separators=(",", ":"))


def _after(columns: Sequence[sa.Column[Any]], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    first, value = columns[0], values[0]
    if len(columns) == 1:
        return first > value
    return sa.or_(first > value, sa.and_(first == value, _after(columns[1:], values[1:])))


def read_pages(engine: Engine, keyset: Keyset, since: str | None, options: SqlOptions) -> Iterator[Page]:
    start = since_value(keyset, since)
    cursor = since if keyset.incremental is not None else None
    after: list[Any] | None = None
    while True:
        with talking(options):
            rows = _rows(engine, keyset.query(start, after), keyset.size)
        more = len(rows) > keyset.size
        rows = rows[: keyset.size]
        if rows:
            after, cursor = keyset.position(rows[-1]), keyset.cursor(rows[-1])
        yield Page(records=[row_to_json(row) for row in rows], cursor=cursor, has_more=more)
        if not more:
            return


def _rows(engine: Engine, stmt: sa.Select[Any], size: int) -> list[sa.Row[Any]]:
    # A server-side cursor where the driver has one (PostgreSQL): rows arrive in chunks of a page.
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=size + 1).execute(stmt)
        return list(result)


def since_value(keyset: Keyset, since: str | None) -> Any:
    """The changed-at value to start from: from a cursor, or ``since`` itself when it is a plain value."""
    column = keyset.incremental
    if not since or column is None:
        return None
    raw = _cursor_value(since, column.name) if since.lstrip().startswith("{") else since
    try:
        return revive(column, raw)
    except (TypeError, ValueError):
        pass
    wanted = EXPECTED.get(python_type(column) or object, "a value of its type")
    raise ConnectorError(
        f"The changed-since position is not {wanted}, as the column “{column.name}” needs.", permanent=True
    )


def _cursor_value(since: str, name: str) -> Any:
    try:
        data = json.loads(since)
    except ValueError:
        data = None
    after = data.get("after") if isinstance(data, dict) and data.get("v") == _CURSOR_VERSION else None
    if not isinstance(after, dict) or name not in after:
        raise ConnectorError(
            f"The saved position was not made for the changed-at column “{name}” (was the setting "
            f"changed?): reset the flow's position to read everything again.",
            permanent=True,
        )
    return after[name]
