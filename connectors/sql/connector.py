"""The SQL database connector kind (PostgreSQL and SQLite, through SQLAlchemy Core)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from connectors.base import (
    ConfigurationError,
    Connector,
    ConnectorConfig,
    ConnectorError,
    OutgoingRecord,
    Page,
    ProbeResult,
    PushOutcome,
    UnreachableError,
)

from .database import column, create_engine, reflect, require_unique_key, talking
from .errors import capital, database_error
from .fetch import Keyset, read_pages
from .options import SqlOptions, build_options
from .params import PARAMS
from .push import Target, upsert_batch


class SqlConnector(Connector):
    """A table (or view) of a PostgreSQL or SQLite database.

    ``fetch`` reads by keyset pages (see ``fetch``), ``push`` upserts by the record id column (see
    ``push``). Statements are built with SQLAlchemy Core: values always travel as bound parameters.
    The configuration is checked on first use; tables are reflected once per instance and name.
    """

    kind = "sql"
    label = "SQL database"
    description = "A table of a PostgreSQL or SQLite database: reads changed rows, writes records by id."
    params = PARAMS
    resumes = True  # each page's cursor is the position to resume from

    def __init__(self, config: ConnectorConfig):
        super().__init__(config)
        self._tables: dict[str, sa.Table] = {}

    @cached_property
    def options(self) -> SqlOptions:
        return build_options(self.params, self.config)

    @cached_property
    def engine(self) -> Engine:
        return create_engine(self.options, self.config.allowed_hosts)

    def probe(self) -> ProbeResult:
        options, started = self.options, time.monotonic()
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
                note = self._table_note(connection)
        except sa_exc.SQLAlchemyError as error:
            return _failed_probe(database_error(error, options), _elapsed_ms(started))
        elapsed = _elapsed_ms(started)
        return ProbeResult(True, True, elapsed, f"Connected to {options.place} in {elapsed:.0f} ms; {note}")

    def fetch(self, *, since: str | None = None, resource: str | None = None) -> Iterator[Page]:
        options = self.options
        table = self._table(resource)
        key = column(table, options.key_column, "Record id column")
        require_unique_key(table, key.name, strict=False)
        incremental = None
        if options.incremental_column:
            incremental = column(table, options.incremental_column, "Changed-at column")
        keyset = Keyset(table, key, incremental, options.page_size)
        yield from read_pages(self.engine, keyset, since, options)

    def push(self, batch: Sequence[OutgoingRecord], *, resource: str | None = None) -> list[PushOutcome]:
        options = self.options
        if options.read_only:
            raise ConfigurationError(
                f"{capital(options.place)} is set to read only: the hub does not "
                f"write to it. Untick “Read only” if records should be sent there."
            )
        if not batch:
            return []
        try:
            table = self._table(resource)
        except ConnectorError as error:
            if isinstance(error, ConfigurationError):
                raise
            return [PushOutcome(r.idempotency_key, ok=False, error=error) for r in batch]
        column(table, options.key_column, "Record id column")
        require_unique_key(table, options.key_column, strict=True)
        return upsert_batch(self.engine, Target(table, options.key_column, options), batch)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    def _table(self, resource: str | None) -> sa.Table:
        name = resource or self.options.table
        if not name:
            raise ConfigurationError("Set “Table” (or name one in the flow) before reading or writing.")
        if name not in self._tables:
            with talking(self.options), self.engine.connect() as connection:
                self._tables[name] = reflect(connection, name, self.options)
        return self._tables[name]

    def _table_note(self, connection: Connection) -> str:
        name = self.options.table
        if not name:
            return "no table is set yet."
        try:
            table = reflect(connection, name, self.options)
            column(table, self.options.key_column, "Record id column")
        except ConfigurationError as error:
            return f"but: {error.message}"
        self._tables[name] = table
        return f"the table “{name}” is there, with {len(table.columns)} columns."


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _failed_probe(error: ConnectorError, elapsed_ms: float) -> ProbeResult:
    """Unreachable: no answer at all. Anything else (credentials refused, no such database) came from a
    database that answered, but the hub cannot work with it."""
    reachable = not isinstance(error, UnreachableError)
    return ProbeResult(reachable=reachable, authenticated=False, elapsed_ms=elapsed_ms, message=error.message)
