"""Whole flows through the engine with the SQL connector, on real databases: an SQLite file the test creates
and PostgreSQL (the throwaway cluster of the SQL connector's tests, skipped as they are when PostgreSQL is
not installed), set to a time zone other than UTC; the HTTP test servers of tests/flows/servers.py on
127.0.0.1 at the other end. The flow resumes from the connector's own keyset position (``Page.cursor``),
never from the newest value of its changed-at field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.catalog.models import Record
from hub.flows.models import (
    Delivery,
    DeliveryState,
    Flow,
    Outcome,
    Quarantined,
    QuarantineState,
    RecordOutcome,
    RunState,
)
from tests.connectors.sql.conftest import Db, pg_db, postgres  # noqa: F401 - the PostgreSQL fixtures
from tests.flows.conftest import FIELDS as PERSON_FIELDS
from tests.flows.conftest import INBOUND as PERSON_INBOUND
from tests.flows.conftest import SOURCE_TOKEN, TARGET_TOKEN
from tests.flows.connector_flows import (
    CUSTOMER_FIELDS,
    CUSTOMER_INBOUND,
    CUSTOMER_OUTBOUND,
    FIRST_CHANGE,
    PERSON_TO_SQL,
    configure,
    cursor_of,
    customer,
    document,
    email,
    http_system,
    person_email,
    sql_position,
    system,
    wall,
)
from tests.flows.running import outcomes, run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db

# The databases: an SQLite file, and PostgreSQL when it is installed, in a time zone other than UTC.

DATABASE_ZONE = "Europe/Berlin"  # what PostgreSQL makes of times depends on it: the hub must not


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        path = tmp_path / "system.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        yield Db("sqlite", f"sqlite:///{path}", "", engine)
        engine.dispose()
        return
    db = request.getfixturevalue("pg_db")
    name = sa.engine.make_url(db.url).database
    with db.engine.begin() as connection:  # the connector's sessions start in this zone
        connection.execute(sa.text(f"ALTER DATABASE {name} SET timezone = '{DATABASE_ZONE}'"))
    try:
        yield db
    finally:  # the cluster is shared by the session's tests
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"ALTER DATABASE {name} RESET timezone"))


def sql_system(name: str, db: Db, **settings: Any) -> dict[str, Any]:
    secrets = ["password"] if db.password else []
    return system(name, "sql", {"url": db.url, "connect_timeout": 5, **settings}, secrets)


def sql_secrets(name: str, db: Db) -> dict[str, dict[str, str]]:
    return {name: {"password": db.password}} if db.password else {}


@dataclass
class Erp:
    """The ERP's customers table, and the test's own way into it."""

    db: Db
    customers: sa.Table

    def insert(self, rows: list[dict[str, Any]]) -> None:
        with self.db.engine.begin() as connection:
            connection.execute(sa.insert(self.customers), rows)

    def change(self, number: int, **values: Any) -> None:
        update = sa.update(self.customers).where(self.customers.c.id == number).values(**values)
        with self.db.engine.begin() as connection:
            connection.execute(update)


def customers_table(database: Db, changed: sa.Column[Any]) -> Erp:
    customers = sa.Table(
        "customers",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("balance", sa.Numeric(12, 2)),
        changed,
    )
    customers.metadata.create_all(database.engine)
    return Erp(database, customers)


@pytest.fixture
def erp(database: Db) -> Erp:
    return customers_table(database, sa.Column("updated_at", sa.DateTime))  # no zone, as many keep it


@pytest.fixture
def versioned_erp(database: Db) -> Erp:
    """An ERP that numbers its changes instead of timing them: a row that changes takes the next number."""
    return customers_table(database, sa.Column("version", sa.Integer))


def versioned(number: int, version: int) -> dict[str, Any]:
    row = customer(number)
    del row["updated_at"]
    return row | {"version": version}


def people_table() -> sa.Table:
    """The target table: upserted by e-mail; the business serves customers in Germany only."""
    return sa.Table(
        "people",
        sa.MetaData(),
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("given_name", sa.Text, nullable=False),
        sa.Column("family_name", sa.Text),
        sa.Column("postcode", sa.Integer),
        sa.Column("city", sa.Text),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime),  # without a zone: the hub writes UTC times into it
        sa.CheckConstraint("country = 'de'", name="people_country_served"),
    )


# Every insert and update of a row is noted by the database itself, so that "written once" is the
# database's word, not the connector's.
WRITE_LOG = {
    "sqlite": [
        "CREATE TABLE writes (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT, op TEXT)",
        "CREATE TRIGGER people_inserted AFTER INSERT ON people "
        "BEGIN INSERT INTO writes (email, op) VALUES (NEW.email, 'insert'); END",
        "CREATE TRIGGER people_updated AFTER UPDATE ON people "
        "BEGIN INSERT INTO writes (email, op) VALUES (NEW.email, 'update'); END",
    ],
    "postgresql": [
        "CREATE TABLE writes (id SERIAL PRIMARY KEY, email TEXT, op TEXT)",
        "CREATE FUNCTION note_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO writes (email, op) VALUES (NEW.email, lower(TG_OP)); RETURN NEW; END $$",
        "CREATE TRIGGER people_written AFTER INSERT OR UPDATE ON people "
        "FOR EACH ROW EXECUTE FUNCTION note_write()",
    ],
}


@pytest.fixture
def crm_db(database: Db) -> Db:
    """The target database, with an empty ``people`` table and its write log."""
    people_table().metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        for statement in WRITE_LOG[database.kind]:
            connection.execute(sa.text(statement))
    return database


def writes(db: Db) -> dict[str, list[str]]:
    with db.engine.connect() as connection:
        found: dict[str, list[str]] = {}
        for address, op in connection.execute(sa.text("SELECT email, op FROM writes ORDER BY id")):
            found.setdefault(str(address), []).append(str(op))
    return found


def people(db: Db) -> dict[str, dict[str, Any]]:
    return {row["email"]: row for row in db.rows(people_table())}


# 1. SQL source -> HTTP target.


def sql_to_http(
    erp: Erp,
    target: TargetServer,
    *,
    page_size: int,
    zone: str = "UTC",
    changed_at: str = "updated_at",
) -> Flow:
    settings = {"table": "customers", "key_column": "id", "incremental_column": changed_at}
    if changed_at == "updated_at":
        fields = CUSTOMER_FIELDS
        read = {"source": "updated_at", "target": "updated_at", "transforms": [f"datetime: tz={zone}"]}
    else:  # a number the ERP counts up
        fields = [*CUSTOMER_FIELDS, {"name": changed_at, "type": "integer"}]
        read = {"source": changed_at, "target": changed_at}
    config = document(
        systems=[
            sql_system("ERP", erp.db, page_size=page_size, **settings),
            http_system("Shop", target.url, push_path="/items/batch", push_mode="batch", push_id_path="id"),
        ],
        entity="Customer",
        fields=fields,
        inbound=[*CUSTOMER_INBOUND, read],
        outbound=CUSTOMER_OUTBOUND,
        cursor_field=changed_at,
    )
    return configure(config, {"Shop": {"bearer_token": TARGET_TOKEN}} | sql_secrets("ERP", erp.db))


def test_sql_rows_reach_the_http_target_once_and_the_next_run_moves_only_what_changed(
    erp: Erp, target: TargetServer
):
    erp.insert([customer(n) for n in range(1, 26)])
    flow = sql_to_http(erp, target, page_size=10)

    first = run_once(flow)

    assert first.state == RunState.SUCCEEDED, first.error
    assert (first.fetched, first.accounted, first.created, first.pages) == (25, 25, 25, 3)
    assert target.writes_per_key() == {email(n): 1 for n in range(1, 26)}
    assert target.items()[email(7)] == {"email": email(7), "name": "Customer 7", "balance": "7.50"}
    # The connector's keyset position after the last row read, the newest change, as the table holds it.
    assert sql_position(cursor_of(flow)) == {"updated_at": wall(25), "id": 25}
    assert first.cursor_after == cursor_of(flow)

    erp.change(4, name="Customer Four", updated_at=FIRST_CHANGE + timedelta(minutes=30))
    erp.change(9, balance=Decimal("0.00"), updated_at=FIRST_CHANGE + timedelta(minutes=31))
    erp.insert([customer(n, minute=n + 6) for n in (26, 27, 28)])
    calls = target.calls

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert second.since == first.cursor_after  # handed back to the connector as it gave it
    # Only the rows changed since the position are read: the one at the position again (the connector
    # reads from its changed-at value inclusively, so that a row committed later with the same time is
    # not lost), the 2 changed and the 3 new rows; the other 24 are not even fetched.
    assert outcomes(second) == {
        "25": Outcome.UNCHANGED,
        "4": Outcome.UPDATED,
        "9": Outcome.UPDATED,
        "26": Outcome.CREATED,
        "27": Outcome.CREATED,
        "28": Outcome.CREATED,
    }
    assert (second.fetched, second.accounted, second.pages) == (6, 6, 1)
    assert target.calls == calls + 1  # the five changed records in one batch; the unchanged one not
    assert target.writes_per_key() == {email(n): 2 if n in (4, 9) else 1 for n in range(1, 29)}
    assert target.items()[email(4)]["name"] == "Customer Four"
    assert target.items()[email(9)]["balance"] == "0.00"
    assert Delivery.objects.filter(run=second).count() == 5
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    assert sql_position(cursor_of(flow)) == {"updated_at": wall(34), "id": 28}

    third = run_once(flow)  # nothing changed: only the row at the position is read, and nothing sent

    assert third.state == RunState.SUCCEEDED, third.error
    assert outcomes(third) == {"28": Outcome.UNCHANGED}
    assert target.calls == calls + 1
    assert sql_position(cursor_of(flow)) == {"updated_at": wall(34), "id": 28}


def test_sql_rows_kept_in_local_time_west_of_utc_are_not_missed(erp: Erp, target: TargetServer):
    erp.insert([customer(n) for n in range(1, 6)])  # 08:01 to 08:05 in New York: 13:05Z at the latest
    flow = sql_to_http(erp, target, page_size=10, zone="America/New_York")
    assert run_once(flow).created == 5
    # The position is the table's own local time, not the canonical 13:05Z that the mapping made of it.
    assert sql_position(cursor_of(flow)) == {"updated_at": wall(5), "id": 5}
    assert Record.objects.get(natural_key=email(5)).data["updated_at"] == "2025-01-06T13:05:00Z"
    erp.insert([customer(6, minute=60)])  # changed at 09:00 New York time, after the first run

    second = run_once(flow)  # reads updated_at >= 08:05, as the table keeps it

    assert second.state == RunState.SUCCEEDED, second.error
    assert outcomes(second) == {"5": Outcome.UNCHANGED, "6": Outcome.CREATED}
    assert target.writes_per_key() == {email(n): 1 for n in range(1, 7)}


def test_an_integer_changed_at_column_advances_as_a_number(versioned_erp: Erp, target: TargetServer):
    erp = versioned_erp
    erp.insert([versioned(n, version=n) for n in range(1, 10)])  # versions 1 to 9
    flow = sql_to_http(erp, target, page_size=4, changed_at="version")

    first = run_once(flow)

    assert first.state == RunState.SUCCEEDED, first.error
    assert (first.fetched, first.created, first.pages) == (9, 9, 3)
    assert sql_position(cursor_of(flow)) == {"version": 9, "id": 9}  # a number, not the text "9"

    erp.change(3, name="Customer Three", version=10)  # 10 and 11 come after 9, though "10" < "9" as text
    erp.change(5, balance=Decimal("0.00"), version=11)
    erp.insert([versioned(10, version=12)])

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert outcomes(second) == {
        "9": Outcome.UNCHANGED,  # the row at the position, read again
        "3": Outcome.UPDATED,
        "5": Outcome.UPDATED,
        "10": Outcome.CREATED,
    }
    assert (second.fetched, second.accounted) == (4, 4)
    assert sql_position(cursor_of(flow)) == {"version": 12, "id": 10}
    assert target.writes_per_key() == {email(n): 2 if n in (3, 5) else 1 for n in range(1, 11)}
    assert target.items()[email(3)]["name"] == "Customer Three"

    third = run_once(flow)  # nothing changed since version 12

    assert third.state == RunState.SUCCEEDED, third.error
    assert outcomes(third) == {"10": Outcome.UNCHANGED}
    assert sql_position(cursor_of(flow)) == {"version": 12, "id": 10}
    assert target.writes_per_key() == {email(n): 2 if n in (3, 5) else 1 for n in range(1, 11)}


def test_a_sql_row_that_fails_validation_is_quarantined_with_its_reason_and_the_run_balances(
    erp: Erp, target: TargetServer
):
    erp.insert([customer(n) for n in range(1, 7)])
    erp.change(4, email="not an e-mail address")
    flow = sql_to_http(erp, target, page_size=4)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.fetched, run.accounted, run.created, run.quarantined) == (6, 6, 5, 1)
    quarantined = Quarantined.objects.get()
    assert (quarantined.external_id, quarantined.state, quarantined.page) == ("4", QuarantineState.OPEN, 1)
    assert quarantined.payload["email"] == "not an e-mail address"  # the row as the database held it
    outcome = RecordOutcome.objects.get(run=run, external_id="4")
    assert outcome.outcome == Outcome.QUARANTINED
    problem = (
        "step 1 'email': 'not an e-mail address' does not look like an e-mail address (name@example.com)"
    )
    assert quarantined.errors == {"email": [problem]}
    assert outcome.reason == f"email: {problem}"
    assert target.writes_per_key() == {email(n): 1 for n in (1, 2, 3, 5, 6)}


# 2. HTTP source -> SQL target.


def http_to_sql(source: SourceServer, db: Db) -> Flow:
    config = document(
        systems=[
            http_system(
                "Web shop",
                source.url,
                read_path="/records",
                records_path="data",
                pagination="page",
                page_param="page",
                page_size_param="per_page",
                page_size=8,
            ),
            sql_system("CRM", db, table="people", key_column="email"),
        ],
        entity="Person",
        fields=PERSON_FIELDS,
        inbound=PERSON_INBOUND,
        outbound=PERSON_TO_SQL,
    )
    return configure(config, {"Web shop": {"bearer_token": SOURCE_TOKEN}} | sql_secrets("CRM", db))


def test_http_records_are_upserted_into_a_sql_table_once_and_rows_it_refuses_are_precise_dead_letters(
    source: SourceServer, crm_db: Db
):
    source.add(20)  # numbers 4, 9, 14 and 19 live in Vienna: country "at", which the table refuses
    with source.lock:
        source.records[6]["address"]["postcode"] = "D-10115"  # number 7: no whole number
    refused = {4: "people_country_served", 9: "people_country_served", 14: "people_country_served"}
    refused |= {19: "people_country_served", 7: "The value of “postcode” must be a whole number."}
    landed = [n for n in range(1, 21) if n not in refused]
    flow = http_to_sql(source, crm_db)

    first = run_once(flow)

    assert first.state == RunState.SUCCEEDED, first.error
    assert (first.fetched, first.accounted, first.created, first.dead_lettered) == (20, 20, 15, 5)
    assert writes(crm_db) == {person_email(n): ["insert"] for n in landed}
    rows = people(crm_db)
    assert set(rows) == {person_email(n) for n in landed}
    ben = rows[person_email(1)]
    assert (ben["given_name"], ben["family_name"], ben["postcode"], ben["country"]) == (
        "Ben",
        "MÜLLER",
        20095,
        "de",
    )
    assert ben["changed_at"] == datetime(2025, 1, 6, 8, 1)  # 08:01Z, whatever the database's zone
    dead = {d.record.natural_key: d for d in Delivery.objects.filter(state=DeliveryState.DEAD)}
    assert set(dead) == {person_email(n) for n in refused}
    for number, words in refused.items():
        delivery = dead[person_email(number)]
        assert (delivery.attempts, delivery.permanent_error) == (1, True)
        assert words in delivery.last_error, delivery.last_error
    assert "refused this record" in dead[person_email(4)].last_error
    assert {k for k, v in outcomes(first).items() if v == Outcome.DEAD_LETTERED} == {
        f"R-{n:05d}" for n in refused
    }

    deliveries = Delivery.objects.count()
    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert (second.fetched, second.accounted, second.unchanged) == (20, 20, 20)
    assert Delivery.objects.count() == deliveries == 20  # nothing planned, not even the refused ones
    assert writes(crm_db) == {person_email(n): ["insert"] for n in landed}

    with source.lock:
        source.records[0]["first_name"] = "benedikt"
    third = run_once(flow)

    assert third.state == RunState.SUCCEEDED, third.error
    assert (third.updated, third.unchanged) == (1, 19)
    assert writes(crm_db) == {person_email(n): ["insert"] for n in landed} | {
        person_email(1): ["insert", "update"]  # the same row again, not a second one
    }
    assert people(crm_db)[person_email(1)]["given_name"] == "Benedikt"
    assert len(people(crm_db)) == 15
