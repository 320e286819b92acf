"""Upserting records by the record id column, against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from connectors.base import ConfigurationError, OutgoingRecord, UnreachableError
from connectors.outbound import LOOPBACK


def record(key: str, **payload) -> OutgoingRecord:
    return OutgoingRecord(idempotency_key=key, payload=payload)


def names(db, table) -> dict[int, str]:
    return {row["id"]: row["name"] for row in db.rows(table)}


def test_pushing_the_same_batch_twice_leaves_one_row(db, customers, connect):
    connector = connect()
    batch = [record("k1", id=1, name="Ada", email="ada@example.com", updated_at="2024-05-27T09:00:00")]
    first, second = connector.push(batch), connector.push(batch)
    assert [(o.ok, o.external_id) for o in first + second] == [(True, "1"), (True, "1")]
    (row,) = db.rows(customers)
    assert row["updated_at"] == dt.datetime(2024, 5, 27, 9, 0)


def test_a_pushed_record_replaces_the_row_with_its_id(db, customers, connect):
    db.insert(customers, [{"id": 1, "name": "Ada", "email": "ada@example.com"}])
    (outcome,) = connect().push([record("k1", id=1, name="Ada Lovelace", balance="12.50")])
    assert outcome.ok
    (row,) = db.rows(customers)
    assert (row["name"], row["email"], row["balance"]) == (
        "Ada Lovelace",
        "ada@example.com",
        Decimal("12.50"),
    )


def test_a_bad_record_fails_alone_and_the_others_are_stored(db, customers, connect):
    batch = [
        record("good-1", id=1, name="Ada"),
        record("no-name", id=2, name=None),
        record("good-3", id=3, name="Cy", born="1990-02-03"),
    ]
    outcomes = connect().push(batch)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None
    assert outcomes[1].error.permanent
    assert "name" in outcomes[1].error.message
    assert names(db, customers) == {1: "Ada", 3: "Cy"}


def test_a_record_clashing_with_another_of_its_batch_fails_alone(db, customers, connect):
    batch = [
        record("a", id=1, name="Ada", email="same@example.com"),
        record("b", id=2, name="Bo", email="same@example.com"),
        record("c", id=3, name="Cy", email="cy@example.com"),
    ]
    outcomes = connect().push(batch)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert names(db, customers) == {1: "Ada", 3: "Cy"}


def test_unknown_columns_fail_the_record_and_are_named(db, customers, connect):
    outcomes = connect().push(
        [record("x", id=1, name="Ada", shoe_size=42, nickname="A"), record("y", id=2, name="Bo")]
    )
    assert [o.ok for o in outcomes] == [False, True]
    error = outcomes[0].error
    assert error is not None
    assert error.permanent
    assert "“shoe_size”" in error.message
    assert "“nickname”" in error.message
    assert names(db, customers) == {2: "Bo"}


def test_a_value_of_the_wrong_type_fails_its_record(db, customers, connect):
    outcomes = connect().push(
        [record("x", id=1, name="Ada", born="the third of May"), record("y", id=2, name="Bo")]
    )
    assert [o.ok for o in outcomes] == [False, True]
    assert outcomes[0].error is not None
    assert "“born” must be a date" in outcomes[0].error.message


def test_a_record_without_id_fails_unless_its_external_id_gives_one(db, customers, connect):
    batch = [record("no-id", name="Ada"), OutgoingRecord("known", {"name": "Bo"}, external_id="7")]
    outcomes = connect().push(batch)
    assert [(o.ok, o.external_id) for o in outcomes] == [(False, None), (True, "7")]
    assert names(db, customers) == {7: "Bo"}


def test_records_with_different_columns_share_a_batch(db, customers, connect):
    batch = [
        record("a", id=1, name="Ada"),
        record("b", id=2, name="Bo", email="bo@example.com"),
        record("c", id=1, name="Ada 2"),
    ]
    assert all(o.ok for o in connect().push(batch))
    assert names(db, customers) == {1: "Ada 2", 2: "Bo"}


def test_resource_names_another_table(db, customers, connect):
    other = sa.Table(
        "suppliers", sa.MetaData(), sa.Column("code", sa.Text, primary_key=True), sa.Column("city", sa.Text)
    )
    other.metadata.create_all(db.engine)
    (outcome,) = connect(key_column="code").push(
        [record("s", code="ACME", city="Lyon")], resource="suppliers"
    )
    assert outcome.external_id == "ACME"
    assert db.rows(other) == [{"code": "ACME", "city": "Lyon"}]


def test_read_only_refuses_to_push_and_writes_nothing(db, customers, connect):
    connector = connect(read_only=True)
    with pytest.raises(ConfigurationError, match="read only") as caught:
        connector.push([record("k", id=1, name="Ada")])
    assert caught.value.permanent
    assert db.rows(customers) == []


def test_read_only_opens_the_database_read_only(db, customers, connect):
    """Even a write that bypassed the check would be refused by the database itself."""
    connector = connect(read_only=True)
    with pytest.raises(sa.exc.DBAPIError), connector.engine.begin() as connection:
        connection.execute(sa.insert(customers).values(id=1, name="Ada"))
    assert db.rows(customers) == []


def test_a_key_without_unique_constraint_is_refused_before_writing(db, connect):
    table = sa.Table(
        "visits", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("who", sa.Text)
    )
    table.metadata.create_all(db.engine)
    with pytest.raises(ConfigurationError, match="not unique"):
        connect(table="visits", key_column="who").push([record("k", id=1, who="Ada")])


def test_an_empty_batch_does_nothing(db, customers, connect):
    assert connect().push([]) == []


def test_an_unreachable_database_fails_the_batch_for_a_retry(pg_db, postgres):
    from connectors.base import ConnectorConfig
    from connectors.sql import SqlConnector
    from tests.connectors.sql.postgres import free_port

    url = pg_db.url.replace(f":{postgres.port}/", f":{free_port()}/")
    connector = SqlConnector(ConnectorConfig("ERP", pg_db.values(url=url), pg_db.secrets, LOOPBACK))
    try:
        outcomes = connector.push([record("a", id=1, name="Ada"), record("b", id=2, name="Bo")])
    finally:
        connector.close()
    assert [o.ok for o in outcomes] == [False, False]
    assert all(isinstance(o.error, UnreachableError) and not o.error.permanent for o in outcomes)


def test_the_engine_is_made_once_pings_and_is_closed(db, customers, connect):
    connector = connect()
    connector.push([record("a", id=1, name="Ada")])
    list(connector.fetch())
    engine = connector.engine
    assert engine is connector.engine
    assert engine.pool._pre_ping is True
    assert (engine.pool.checkedout(), engine.pool.checkedin()) == (0, 1)
    connector.close()
    assert engine.pool.checkedin() == 0
