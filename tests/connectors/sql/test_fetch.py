"""Reading a table by keyset pages, against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from connectors.base import ConfigurationError, ConnectorError

MONDAY = dt.datetime(2024, 5, 27, 9, 0, 0)
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
MAX_PAGES = 50  # every loop over pages stops here, whatever the connector does


def person(number: int, at: dt.datetime | None, **extra):
    return {"id": number, "name": f"Person {number}", "updated_at": at} | extra


def pages_of(connector, **kwargs):
    pages = []
    for page in connector.fetch(**kwargs):
        pages.append(page)
        assert len(pages) <= MAX_PAGES, "the connector never stopped"
    return pages


def ids(pages):
    return [record["id"] for page in pages for record in page.records]


def test_equal_changed_at_values_across_a_page_boundary_are_each_read_once(db, customers, connect):
    times = [MONDAY, MONDAY, MONDAY, TUESDAY, TUESDAY, TUESDAY, WEDNESDAY]
    db.insert(customers, [person(n, at) for n, at in zip([7, 3, 5, 2, 9, 1, 4], times, strict=True)])
    pages = pages_of(connect(incremental_column="updated_at", page_size=2))
    assert ids(pages) == [3, 5, 7, 1, 2, 9, 4]
    assert [len(page.records) for page in pages] == [2, 2, 2, 1]
    assert [page.has_more for page in pages] == [True, True, True, False]


def test_pages_follow_the_last_row_not_an_offset(db, customers, connect):
    db.insert(customers, [person(n, MONDAY) for n in range(1, 7)])
    pages = connect(incremental_column="updated_at", page_size=2).fetch()
    first = next(pages)
    with db.engine.begin() as connection:  # another program deletes a row already read
        connection.execute(sa.delete(customers).where(customers.c.id == 1))
    rest = [page for _, page in zip(range(MAX_PAGES), pages, strict=False)]
    assert ids([first, *rest]) == [1, 2, 3, 4, 5, 6]  # an offset would have skipped row 3


def test_a_table_that_fills_whole_pages_ends_without_an_empty_page(db, customers, connect):
    db.insert(customers, [person(n, MONDAY) for n in range(1, 5)])
    pages = pages_of(connect(incremental_column="updated_at", page_size=2))
    assert [len(page.records) for page in pages] == [2, 2]
    assert pages[-1].has_more is False


def test_records_hold_json_values(db, customers, connect):
    db.insert(customers, [person(1, MONDAY, balance=Decimal("12.50"), born=dt.date(1990, 2, 3))])
    (page,) = pages_of(connect())
    record = page.records[0]
    assert record["updated_at"] == "2024-05-27T09:00:00"
    assert record["born"] == "1990-02-03"
    assert Decimal(record["balance"]) == Decimal("12.50")
    assert isinstance(record["balance"], str)
    assert json.loads(json.dumps(page.records)) == page.records


def test_the_cursor_is_the_keyset_position_of_the_last_row(db, customers, connect):
    db.insert(customers, [person(1, MONDAY), person(2, TUESDAY)])
    (page,) = pages_of(connect(incremental_column="updated_at"))
    assert json.loads(page.cursor) == {"v": 1, "after": {"updated_at": "2024-05-28T09:00:00", "id": 2}}


def test_the_next_run_reads_what_changed_since_the_cursor(db, customers, connect):
    db.insert(customers, [person(1, MONDAY), person(2, TUESDAY), person(3, TUESDAY)])
    connector = connect(incremental_column="updated_at", page_size=2)
    cursor = pages_of(connector)[-1].cursor
    db.insert(customers, [person(4, WEDNESDAY)])
    with db.engine.begin() as connection:
        connection.execute(sa.update(customers).where(customers.c.id == 1).values(updated_at=WEDNESDAY))
    again = pages_of(connector, since=cursor)
    # Rows sharing the last changed-at value are read again (at least once); row 1 moved to Wednesday.
    assert ids(again) == [2, 3, 1, 4]


def test_a_plain_changed_since_value_is_accepted(db, customers, connect):
    db.insert(customers, [person(1, MONDAY), person(2, TUESDAY), person(3, WEDNESDAY)])
    pages = pages_of(connect(incremental_column="updated_at"), since="2024-05-28T09:00:00")
    assert ids(pages) == [2, 3]


def test_an_empty_result_hands_the_position_back(db, customers, connect):
    db.insert(customers, [person(1, MONDAY)])
    connector = connect(incremental_column="updated_at")
    cursor = pages_of(connector)[-1].cursor
    with db.engine.begin() as connection:
        connection.execute(sa.delete(customers))
    (page,) = pages_of(connector, since=cursor)
    assert (page.records, page.cursor, page.has_more) == ([], cursor, False)


def test_rows_without_a_changed_at_value_are_not_read(db, customers, connect):
    db.insert(customers, [person(1, MONDAY), person(2, None)])
    assert ids(pages_of(connect(incremental_column="updated_at"))) == [1]


def test_without_changed_at_column_every_run_reads_the_whole_table(db, customers, connect):
    db.insert(customers, [person(n, None) for n in (5, 1, 3)])
    connector = connect(page_size=2)
    pages = pages_of(connector, since='{"v":1,"after":{"id":3}}')
    assert ids(pages) == [1, 3, 5]
    assert [page.cursor for page in pages] == [None, None]


def test_resource_names_another_table(db, customers, connect):
    suppliers = sa.Table("suppliers", sa.MetaData(), sa.Column("code", sa.Text, primary_key=True))
    suppliers.metadata.create_all(db.engine)
    db.insert(suppliers, [{"code": "B"}, {"code": "A"}])
    (page,) = pages_of(connect(key_column="code"), resource="suppliers")
    assert page.records == [{"code": "A"}, {"code": "B"}]


def test_a_cursor_for_another_column_is_refused(db, customers, connect):
    db.insert(customers, [person(1, MONDAY)])
    with pytest.raises(ConnectorError, match="reset the flow's position") as caught:
        pages_of(connect(incremental_column="updated_at"), since='{"v":1,"after":{"born":"2024-01-01"}}')
    assert caught.value.permanent


def test_a_since_value_of_the_wrong_type_is_refused_in_words(db, customers, connect):
    with pytest.raises(ConnectorError, match="date and time") as caught:
        pages_of(connect(incremental_column="updated_at"), since="last tuesday")
    assert caught.value.permanent


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"table": "nothing_here"}, "There is no table “nothing_here”"),
        ({"key_column": "number"}, "no column “number”"),
        ({"incremental_column": "changed"}, "no column “changed”"),
        ({"table": ""}, "Set “Table”"),
    ],
)
def test_configuration_mistakes_are_named(db, customers, connect, values, words):
    with pytest.raises(ConfigurationError, match=words):
        pages_of(connect(**values))


def test_a_key_that_is_not_unique_is_refused(db, connect):
    table = sa.Table(
        "visits", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("who", sa.Text)
    )
    table.metadata.create_all(db.engine)
    with pytest.raises(ConfigurationError, match="not unique"):
        pages_of(connect(table="visits", key_column="who"))
