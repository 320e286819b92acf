"""Bulk writes for the engine's hot path: plain multi-row statements, built once per call.

Django's ``bulk_create`` and ``bulk_update`` compile every value of every row through the expression
machinery (``bulk_update`` builds a ``Case(When(...))`` per row and field); on a page of 1,000 records that
was most of a run's time. These helpers write the same rows with the same few statements (one per
parameter limit's worth of rows), adapting each column the way Django's backend would: JSON through
``adapt_json_value``, datetimes through ``adapt_datetimefield_value``, foreign keys as their id. They
work on SQLite and PostgreSQL, and go through Django's cursor, so transactions, ``execute_wrapper`` and
query counting see them like any other statement.

They write rows, not model instances: no signals, no ``save()``. They are for the engine's own tables
(outcomes, deliveries, attempts, cross-references, records), whose trail is the run itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, TypeVar

import orjson
from django.db import connection, models
from django.db.models.constants import OnConflict
from django.utils import timezone

Adapt = Callable[[Any], Any]
M = TypeVar("M", bound=models.Model)


def _adapter(field: models.Field[Any, Any]) -> Adapt | None:
    ops = connection.ops
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if connection.vendor == "sqlite" and encoder is None:
            return _json_text
        return lambda value: None if value is None else ops.adapt_json_value(value, encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    return None


def _json_text(value: Any) -> str | None:
    """What Django's JSONField stores on SQLite (JSON text), written by orjson: several times faster."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits, or a type JSON cannot hold: Django's way, and its error
        return connection.ops.adapt_json_value(value, None)


def _columns(model: type[models.Model], names: Sequence[str]) -> list[tuple[str, Adapt | None]]:
    found = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.column is None:
            raise TypeError(f"{model.__name__}.{name} is not a column.")
        found.append((field.column, _adapter(field)))
    return found


def _defaults(model: type[models.Model], given: Sequence[str]) -> dict[str, Any]:
    """Values for the concrete columns a caller did not give: auto timestamps, then field defaults."""
    now = timezone.now()
    named = {getattr(model._meta.get_field(name), "attname", name) for name in given}
    found: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in named:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            found[field.attname] = now
        else:  # its default; "" for text without one, else None (the database says whether it may be)
            found[field.attname] = field.get_default()
    return found


def _remembering(adapt: Adapt) -> Adapt:
    """``adapt``, answering at once when given the very same object as last time (a page's ``now``)."""
    last: list[Any] = [object(), None]

    def adapted(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, adapt(value)
        return last[1]

    return adapted


def _rows_per_statement(width: int) -> int:
    limit = connection.features.max_query_params or 65_535
    return max(1, min(1000, limit // max(width, 1)))


def insert(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    returning_pk: bool = False,
) -> list[Any]:
    """Insert ``rows`` (tuples in the order of ``names``, foreign keys by ``<name>_id``); other columns get
    their defaults. With ``returning_pk``, the new primary keys in row order (not with ignore_conflicts)."""
    if returning_pk and ignore_conflicts:
        raise ValueError("Primary keys cannot be matched to rows when conflicts are skipped.")
    defaults = _defaults(model, names)
    columns = _columns(model, [*names, *defaults])
    constant = [
        adapt(value) if adapt is not None else value
        for value, (_, adapt) in zip(defaults.values(), columns[len(names) :], strict=True)
    ]
    quote = connection.ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = (
        f"{connection.ops.insert_statement(on_conflict=on_conflict)} {quote(model._meta.db_table)} "
        f"({', '.join(quote(column) for column, _ in columns)}) VALUES "
    )
    tail = connection.ops.on_conflict_suffix_sql([], on_conflict, None, None) if ignore_conflicts else ""
    if returning_pk:
        tail += f" RETURNING {quote(model._meta.pk.column)}"
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    adapters = [(i, _remembering(adapt)) for i, (_, adapt) in enumerate(columns[: len(names)]) if adapt]
    per_statement = _rows_per_statement(len(columns))
    pks: list[Any] = []
    batch: list[Any] = []
    count = 0

    def flush() -> None:
        nonlocal batch, count
        if not count:
            return
        with connection.cursor() as cursor:
            cursor.execute(head + ", ".join([one] * count) + (" " + tail if tail else ""), batch)
            if returning_pk:
                pks.extend(row[0] for row in cursor.fetchall())
        batch, count = [], 0

    for row in rows:
        values = [*row, *constant]
        for i, adapt in adapters:
            values[i] = adapt(values[i])
        batch.extend(values)
        count += 1
        if count >= per_statement:
            flush()
    flush()
    return pks


def update(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set columns ``names`` per row, each row ``(pk, value, ...)``: one ``CASE`` statement per chunk."""
    columns = _columns(model, names)
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    table = quote(model._meta.db_table)
    cast = connection.features.requires_casted_case_in_updates
    types = [model._meta.get_field(name).db_type(connection) for name in names]  # type: ignore[union-attr]
    items = list(rows)
    per_statement = _rows_per_statement(2 * len(columns) + 1)
    changed = 0
    for start in range(0, len(items), per_statement):
        chunk = items[start : start + per_statement]
        sets: list[str] = []
        params: list[Any] = []
        for i, ((column, adapt), db_type) in enumerate(zip(columns, types, strict=True)):
            case = f"CASE {pk} " + " ".join(["WHEN %s THEN %s"] * len(chunk)) + " END"
            sets.append(f"{quote(column)} = " + (f"CAST({case} AS {db_type})" if cast else case))
            for row in chunk:
                value = row[i + 1]
                params.extend((row[0], adapt(value) if adapt is not None else value))
        ids = [row[0] for row in chunk]
        params.extend(ids)
        # Names come from the model's _meta, quoted; every value is a parameter.
        sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            changed += cursor.rowcount
    return changed


def among(queryset: models.QuerySet[M], name: str, values: Collection[Any]) -> models.QuerySet[M]:
    """``queryset.filter(<name>__in=values)`` for a page's worth of plain values (ids, keys), with the values
    passed straight as parameters: Django's ``__in`` prepares each value through the lookup machinery."""
    if not values:
        return queryset.none()
    field = queryset.model._meta.get_field(name)
    column = getattr(field, "column", None)
    if column is None:
        raise TypeError(f"{queryset.model.__name__}.{name} is not a column.")
    quote = connection.ops.quote_name
    where = f"{quote(queryset.model._meta.db_table)}.{quote(column)} IN ({', '.join(['%s'] * len(values))})"
    return queryset.extra(where=[where], params=list(values))  # noqa: S610 - quoted names, values as parameters
