"""The engine of one connector instance, and the tables it reflects.

The password is set on the URL object, never formatted into a string. A read-only system is also opened
read-only (SQLite ``mode=ro``, PostgreSQL ``default_transaction_read_only``), so that even a mistake in
the hub cannot write to it. An SQLite file is opened with ``mode=rw`` otherwise: a mistyped path must
fail, not create an empty database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote as url_quote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine

from connectors.base import ConfigurationError
from connectors.outbound import OutboundHosts

from .errors import database_error
from .hosts import guard_connections
from .options import SqlOptions


def create_engine(options: SqlOptions, allowed: OutboundHosts) -> Engine:
    """The engine of one system. An SQLite file is on this machine and needs no entry on the hub's list;
    a PostgreSQL server is checked each time a connection to it is opened (see ``hosts``)."""
    url, connect_args = _sqlite(options) if options.is_sqlite else _postgresql(options)
    engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)
    if not options.is_sqlite:
        guard_connections(engine, allowed)
    return engine


def _sqlite(options: SqlOptions) -> tuple[URL, dict[str, Any]]:
    path = url_quote(options.url.database or "")
    mode = "ro" if options.read_only else "rw"
    url = options.url.set(database=f"file:{path}", query={"mode": mode, "uri": "true"})
    return url, {"timeout": options.connect_timeout}


def _postgresql(options: SqlOptions) -> tuple[URL, dict[str, Any]]:
    url = options.url.set(password=options.password) if options.password else options.url
    connect_args: dict[str, Any] = {
        "connect_timeout": options.connect_timeout,
        "application_name": "integration-hub",
    }
    if options.read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return url, connect_args


@contextmanager
def talking(options: SqlOptions) -> Iterator[None]:
    """Turn any SQLAlchemy error raised inside into the matching connector error."""
    try:
        yield
    except sa_exc.SQLAlchemyError as error:
        raise database_error(error, options) from None


def reflect(connection: Connection, name: str, options: SqlOptions) -> sa.Table:
    """The table or view ``name`` (``schema.table`` names a schema too), as the database describes it."""
    schema, _, table = name.rpartition(".")
    try:
        return sa.Table(table, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except sa_exc.NoSuchTableError:
        pass
    raise ConfigurationError(
        f"There is no table “{name}” in {options.place} (or the hub's user may not see it)."
    )


def column(table: sa.Table, name: str, label: str) -> sa.Column[Any]:
    if name not in table.c:
        raise ConfigurationError(f"The table “{table.fullname}” has no column “{name}” (see “{label}”).")
    return table.c[name]


def key_is_unique(table: sa.Table, key: str) -> bool | None:
    """True when the key is the primary key or unique on its own; None when the database says nothing
    about uniqueness at all (a view), so that only the admin knows."""
    unique_sets = [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint) and constraint.columns
    ] + [[c.name for c in index.columns] for index in table.indexes if index.unique]
    if [key] in unique_sets:
        return True
    return None if not unique_sets else False


def require_unique_key(table: sa.Table, key: str, *, strict: bool) -> None:
    """Keyset pages and upserts both need a key that tells rows apart; an upsert needs the database to
    know it (``ON CONFLICT``), reading only needs it to be true."""
    unique = key_is_unique(table, key)
    if unique or (unique is None and not strict):
        return
    raise ConfigurationError(
        f"The column “{key}” of “{table.fullname}” is not unique in the database (neither primary key "
        f"nor unique), so records cannot be matched to rows by it. Choose another “Record id column” or "
        f"make it unique."
    )
