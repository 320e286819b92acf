"""Real databases for the SQL connector: an SQLite file per test, and a PostgreSQL database per test in
a throwaway cluster when PostgreSQL is installed. ``db`` runs each test against both."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from connectors.base import ConnectorConfig
from connectors.outbound import LOOPBACK
from connectors.sql import SqlConnector
from tests.connectors.sql.postgres import PASSWORD, USER, Cluster, postgres_bin, start_cluster

DATABASE = "erp"


@dataclass
class Db:
    kind: str
    url: str  # what the connector is given: no password
    password: str = field(repr=False)
    engine: Engine  # the test's own way in, for setting up and checking rows

    def values(self, **overrides: Any) -> dict[str, Any]:
        return {"url": self.url, "table": "customers", "connect_timeout": 3} | overrides

    @property
    def secrets(self) -> dict[str, str]:
        return {"password": self.password} if self.password else {}

    def rows(self, table: sa.Table) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            result = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            return [dict(row._mapping) for row in result]

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.insert(table), rows)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("HUB_REQUIRE_POSTGRES"):  # make test installs it: missing there is a failure
            pytest.fail("PostgreSQL is not installed (no initdb), but HUB_REQUIRE_POSTGRES is set")
        pytest.skip("PostgreSQL is not installed (no initdb): these tests ran against SQLite only")
    cluster = start_cluster(bin_dir)
    cluster.admin(f"CREATE DATABASE {DATABASE} OWNER {USER}")
    yield cluster
    cluster.stop()


def _sqlite_db(tmp_path: Path) -> Iterator[Db]:
    path = tmp_path / "erp.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    engine.connect().close()  # SQLite creates the file on first connection; the connector never does
    yield Db("sqlite", f"sqlite:///{path}", "", engine)
    engine.dispose()


def _postgres_db(cluster: Cluster) -> Iterator[Db]:
    """The session's database, emptied first: faster than a database per test (a checkpoint each)."""
    url = cluster.url(DATABASE)
    engine = sa.create_engine(make_url(url).set(password=PASSWORD))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    yield Db("postgresql", url, PASSWORD, engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        yield from _sqlite_db(tmp_path)
    else:
        yield from _postgres_db(request.getfixturevalue("postgres"))


@pytest.fixture
def pg_db(postgres: Cluster) -> Iterator[Db]:
    """PostgreSQL only: for what SQLite has no notion of (users, passwords, hosts)."""
    yield from _postgres_db(postgres)


def customers_table(metadata: sa.MetaData | None = None, name: str = "customers") -> sa.Table:
    return sa.Table(
        name,
        metadata or sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, unique=True),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("balance", sa.Numeric(12, 2)),
        sa.Column("born", sa.Date),
    )


@pytest.fixture
def customers(db: Db) -> sa.Table:
    table = customers_table()
    table.metadata.create_all(db.engine)
    return table


@pytest.fixture
def connect(db: Db) -> Iterator[Callable[..., SqlConnector]]:
    """Build connectors on ``db`` (``connect(page_size=2)``) and close them all afterwards."""
    made: list[SqlConnector] = []

    def make(secrets: dict[str, str] | None = None, **values: Any) -> SqlConnector:
        config = ConnectorConfig(
            "Test ERP", db.values(**values), db.secrets if secrets is None else secrets, LOOPBACK
        )
        made.append(SqlConnector(config))
        return made[-1]

    yield make
    for connector in made:
        connector.close()
