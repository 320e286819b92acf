"""Check a ``ConnectorConfig`` against the declared parameters and turn it into typed options.

The address is parsed by SQLAlchemy, never quoted back in a message: an admin may have typed the password
into it, and a message would then show it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from connectors.base import ConfigurationError, ConnectorConfig, Param
from connectors.http_json.options import read_values

# The database kinds the hub can read and upsert into, and the driver each address form uses.
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
}
_EXAMPLES = "postgresql+psycopg://hub@db.example.com:5432/erp or sqlite:////srv/data/shop.db"


@dataclass(frozen=True)
class SqlOptions:
    url: URL  # without the password
    password: str = field(repr=False)
    table: str
    key_column: str
    incremental_column: str
    page_size: int
    read_only: bool
    connect_timeout: int

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def place(self) -> str:
        """The database in words, for messages: never the password."""
        if self.is_sqlite:
            return f"the database file {self.url.database}"
        port = self.url.port or 5432
        return f"database “{self.url.database or ''}” on {self.url.host or 'localhost'}:{port}"


def build_options(params: tuple[Param, ...], config: ConnectorConfig) -> SqlOptions:
    values = read_values(params, config)
    return SqlOptions(
        url=parse_url(str(values["url"])),
        password=str(values["password"] or ""),
        table=str(values["table"] or ""),
        key_column=str(values["key_column"]),
        incremental_column=str(values["incremental_column"] or ""),
        page_size=int(values["page_size"]),
        read_only=bool(values["read_only"]),
        connect_timeout=int(values["connect_timeout"]),
    )


def parse_url(text: str) -> URL:
    url = _parsed_or_none(text.strip())
    if url is None or url.drivername not in _DRIVERS:
        raise ConfigurationError(
            f"“Database address” must be a PostgreSQL or SQLite address, e.g. {_EXAMPLES}."
        )
    if url.password is not None or "password" in url.query:
        raise ConfigurationError(
            "“Database address” must not contain the password: remove it from the address and put it "
            "in the “Password” field, where it is stored encrypted."
        )
    url = url.set(drivername=_DRIVERS[url.drivername])
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(url.database)
    return url


def _parsed_or_none(text: str) -> URL | None:
    # Outside the ``except``: the parser's own message quotes the address, so it must not be chained.
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        return None


def _check_sqlite_path(path: str | None) -> None:
    if not path or path == ":memory:" or not os.path.isabs(path) or ".." in path.split("/"):
        raise ConfigurationError(
            "An SQLite address must name the file by its full path, with four slashes: "
            "sqlite:////srv/data/shop.db."
        )
