"""Upsert a batch of records by the record id column, in one transaction.

An upsert by key needs no idempotency key: writing the same payload to the same id twice leaves the same
row (the second ``INSERT`` meets the existing id and ``ON CONFLICT ... DO UPDATE`` sets it to the values
it already holds), so a batch the engine sends again after a lost answer does no harm. The idempotency
key is only used to report each record's outcome.

Records are checked first (unknown columns, no id, values of the wrong type): those fail alone and
permanently. The others go to the database in one transaction, consecutive records with the same
columns in one ``executemany``. When the database refuses a value (a constraint, a type), the whole
transaction is rolled back and the records are written again one per transaction, so that only the
faulty ones fail and the good ones are stored. When the connection or a permission fails, every
remaining record fails with that (transient or permanent) error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from connectors.base import ConnectorError, OutgoingRecord, PushOutcome

from .errors import database_error, is_record_fault, record_error
from .options import SqlOptions
from .values import EXPECTED, python_type, revive


@dataclass(frozen=True)
class Row:
    index: int
    record: OutgoingRecord
    values: dict[str, Any]
    key_value: Any


@dataclass(frozen=True)
class Target:
    table: sa.Table
    key: str
    options: SqlOptions


def upsert_batch(engine: Engine, target: Target, batch: Sequence[OutgoingRecord]) -> list[PushOutcome]:
    outcomes: dict[int, PushOutcome] = {}
    rows: list[Row] = []
    for index, record in enumerate(batch):
        prepared = prepare(target, index, record)
        if isinstance(prepared, Row):
            rows.append(prepared)
        else:
            outcomes[index] = _failed(record, prepared)
    outcomes |= _write(engine, target, rows)
    return [outcomes[index] for index in range(len(batch))]


def prepare(target: Target, index: int, record: OutgoingRecord) -> Row | ConnectorError:
    table, key = target.table, target.key
    payload = dict(record.payload)
    unknown = [name for name in payload if name not in table.c]
    if unknown:
        names = ", ".join(f"“{name}”" for name in unknown)
        return ConnectorError(f"The table “{table.fullname}” has no column {names}.", permanent=True)
    if payload.get(key) in (None, "") and record.external_id:
        payload[key] = record.external_id
    if payload.get(key) in (None, ""):
        return ConnectorError(
            f"The record has no value for “{key}”, the record id column, so no row can be matched to it.",
            permanent=True,
        )
    values = _revived(table, payload)
    return values if isinstance(values, ConnectorError) else Row(index, record, values, values[key])


def _revived(table: sa.Table, payload: dict[str, Any]) -> dict[str, Any] | ConnectorError:
    values: dict[str, Any] = {}
    for name, value in payload.items():
        try:
            values[name] = revive(table.c[name], value)
        except (TypeError, ValueError):
            wanted = EXPECTED.get(python_type(table.c[name]) or object, "a value of its type")
            return ConnectorError(f"The value of “{name}” must be {wanted}.", permanent=True)
    return values


def _write(engine: Engine, target: Target, rows: list[Row]) -> dict[int, PushOutcome]:
    if not rows:
        return {}
    try:
        with engine.begin() as connection:
            _execute(connection, target, rows)
    except sa_exc.SQLAlchemyError as error:
        if is_record_fault(error):
            return _one_by_one(engine, target, rows)
        return _all_failed(rows, database_error(error, target.options))
    return {row.index: _ok(row) for row in rows}


def _one_by_one(engine: Engine, target: Target, rows: list[Row]) -> dict[int, PushOutcome]:
    outcomes: dict[int, PushOutcome] = {}
    for position, row in enumerate(rows):
        try:
            with engine.begin() as connection:
                _execute(connection, target, [row])
        except sa_exc.SQLAlchemyError as error:
            if not is_record_fault(error):
                return outcomes | _all_failed(rows[position:], database_error(error, target.options))
            outcomes[row.index] = _failed(row.record, record_error(error, target.options))
            continue
        outcomes[row.index] = _ok(row)
    return outcomes


def _execute(connection: Connection, target: Target, rows: list[Row]) -> None:
    for columns, group in groupby(rows, key=lambda row: tuple(sorted(row.values))):
        statement = upsert_statement(connection.dialect.name, target, columns)
        connection.execute(statement, [row.values for row in group])


def upsert_statement(dialect: str, target: Target, columns: Sequence[str]) -> sa.Insert:
    if dialect == "postgresql":
        pg = postgresql.insert(target.table)
        pg_updates = {name: pg.excluded[name] for name in columns if name != target.key}
        if not pg_updates:
            return pg.on_conflict_do_nothing(index_elements=[target.key])
        return pg.on_conflict_do_update(index_elements=[target.key], set_=pg_updates)
    lite = sqlite.insert(target.table)
    lite_updates = {name: lite.excluded[name] for name in columns if name != target.key}
    if not lite_updates:
        return lite.on_conflict_do_nothing(index_elements=[target.key])
    return lite.on_conflict_do_update(index_elements=[target.key], set_=lite_updates)


def _ok(row: Row) -> PushOutcome:
    return PushOutcome(row.record.idempotency_key, ok=True, external_id=str(row.key_value))


def _failed(record: OutgoingRecord, error: ConnectorError) -> PushOutcome:
    return PushOutcome(record.idempotency_key, ok=False, external_id=record.external_id, error=error)


def _all_failed(rows: list[Row], error: ConnectorError) -> dict[int, PushOutcome]:
    return {row.index: _failed(row.record, error) for row in rows}
