"""“Test connection” for a database: it answers in words and never raises for a network problem."""

from __future__ import annotations

from connectors.base import ConnectorConfig
from connectors.sql import SqlConnector
from tests.connectors.conftest import TEST_HOSTS
from tests.connectors.sql.postgres import free_port


def probe(values, secrets=None):
    connector = SqlConnector(ConnectorConfig("ERP", values, secrets or {}, TEST_HOSTS))
    try:
        return connector.probe()
    finally:
        connector.close()


def test_a_working_connection_finds_the_table(db, customers, connect):
    result = connect().probe()
    assert (result.reachable, result.authenticated) == (True, True)
    assert "the table “customers” is there, with 6 columns" in result.message


def test_a_missing_table_is_said_in_words(db, connect):
    result = connect(table="orders").probe()
    assert result.ok
    assert "There is no table “orders”" in result.message


def test_no_table_yet_is_fine(db, connect):
    assert "no table is set yet" in connect(table="").probe().message


def test_a_missing_sqlite_file_is_unreachable_and_not_created(tmp_path):
    path = tmp_path / "typo.db"
    result = probe({"url": f"sqlite:///{path}", "table": "customers"})
    assert (result.reachable, result.authenticated) == (False, False)
    assert f"Could not open the database file {path}" in result.message
    assert not path.exists()


def test_a_wrong_password_is_not_authenticated(pg_db):
    result = probe(pg_db.values(), {"password": "wrong-" + pg_db.password})
    assert (result.reachable, result.authenticated) == (True, False)
    assert "refused the user “hub_robot” or its password" in result.message


def test_a_missing_password_is_not_authenticated(pg_db):
    result = probe(pg_db.values(), {})
    assert (result.reachable, result.authenticated) == (True, False)


def test_an_unknown_database_is_named(pg_db, postgres):
    result = probe(pg_db.values(url=postgres.url("no_such_db")), pg_db.secrets)
    assert not result.ok
    assert "There is no database “no_such_db”" in result.message


def test_a_refused_port_is_unreachable(pg_db, postgres):
    port = free_port()
    result = probe(pg_db.values(url=pg_db.url.replace(f":{postgres.port}/", f":{port}/")), pg_db.secrets)
    assert (result.reachable, result.authenticated) == (False, False)
    assert f"Connection refused by 127.0.0.1:{port}" in result.message


def test_an_unknown_host_is_unreachable(pg_db):
    url = pg_db.url.replace("127.0.0.1", "no-such-host.invalid")
    result = probe(pg_db.values(url=url), pg_db.secrets)
    assert (result.reachable, result.authenticated) == (False, False)
    assert "no-such-host.invalid could not be found" in result.message
