"""Remembering which files were read: the position handed back as ``since``, and moving read files."""

from __future__ import annotations

import json

import pytest

from connectors.base import ConnectorError
from tests.connectors.csv_files.exchange import all_pages, records

NOON = 1_717_156_800_000_000_000  # a fixed modification time, in nanoseconds


def read(connector, since=None, **kwargs):
    pages = all_pages(connector.fetch(since=since, **kwargs))
    return records(pages), pages[-1].cursor


def test_a_file_added_after_a_fetch_is_read_next_time_and_old_ones_are_not(exchange, connect):
    connector = connect()
    exchange.drop("day-1.csv", "id\n1\n2\n")
    first, cursor = read(connector)
    exchange.drop("day-2.csv", "id\n3\n")
    second, cursor = read(connector, since=cursor)
    third, _ = read(connector, since=cursor)
    assert [r["id"] for r in first] == ["1", "2"]
    assert [(r["id"], r["_file"]) for r in second] == [("3", "day-2.csv")]
    assert third == []


def test_the_position_names_each_file_with_its_size_and_time(exchange, connect):
    exchange.drop("day-1.csv", "id\n1\n", mtime_ns=NOON)
    _, cursor = read(connect())
    assert json.loads(cursor) == {"v": 1, "done": {"day-1.csv": [5, NOON]}}


def test_a_file_that_changes_is_read_again(exchange, connect):
    connector = connect()
    exchange.drop("stock.csv", "id\n1\n", mtime_ns=NOON)
    _, cursor = read(connector)
    exchange.drop("stock.csv", "id\n1\n2\n", mtime_ns=NOON + 1)
    again, _ = read(connector, since=cursor)
    assert [r["id"] for r in again] == ["1", "2"]


def test_a_run_resumed_from_a_page_skips_the_rows_handed_over(exchange, connect):
    connector = connect(page_size=2)
    exchange.drop("a.csv", "id\n1\n2\n3\n4\n5\n")
    exchange.drop("b.csv", "id\n6\n")
    first = next(connector.fetch())  # the engine stopped after its first page
    assert json.loads(first.cursor)["part"]["rows"] == 2
    rest, _ = read(connector, since=first.cursor)
    assert [r["id"] for r in rest] == ["3", "4", "5", "6"]


def test_the_position_forgets_files_that_left_the_folder(exchange, connect):
    connector = connect()
    exchange.drop("a.csv", "id\n1\n")
    exchange.drop("b.csv", "id\n2\n")
    _, cursor = read(connector)
    (exchange.inbox / "a.csv").unlink()
    _, cursor = read(connector, since=cursor)
    assert list(json.loads(cursor)["done"]) == ["b.csv"]


def test_read_files_are_moved_once_their_page_is_handled(exchange, connect):
    connector = connect(processed_folder=str(exchange.done), page_size=1)
    exchange.drop("a.csv", "id\n1\n")
    exchange.drop("b.csv", "id\n2\n")
    pages = connector.fetch()
    first = next(pages)
    assert [r["_file"] for r in first.records] == ["a.csv"]
    assert (exchange.inbox / "a.csv").exists(), "moved before the engine handled its records"
    next(pages)
    assert sorted(p.name for p in exchange.done.iterdir()) == ["a.csv"]
    assert next(pages, None) is None
    assert sorted(p.name for p in exchange.done.iterdir()) == ["a.csv", "b.csv"]
    assert list(exchange.inbox.iterdir()) == []


def test_a_moved_file_does_not_overwrite_one_of_the_same_name(exchange, connect):
    (exchange.done / "a.csv").write_text("id\nold\n", encoding="utf-8")
    exchange.drop("a.csv", "id\nnew\n")
    read(connect(processed_folder=str(exchange.done)))
    assert (exchange.done / "a.csv").read_text(encoding="utf-8") == "id\nold\n"
    assert (exchange.done / "a-2.csv").read_text(encoding="utf-8") == "id\nnew\n"


def test_files_read_but_not_moved_are_moved_by_the_next_fetch(exchange, connect):
    exchange.drop("a.csv", "id\n1\n")
    _, cursor = read(connect())  # read without a done folder
    again, _ = read(connect(processed_folder=str(exchange.done)), since=cursor)
    assert again == []
    assert [p.name for p in exchange.done.iterdir()] == ["a.csv"]


@pytest.mark.parametrize("since", ["2024-05-31", "{}", '{"v": 1, "done": {"a.csv": "big"}}', "[1]"])
def test_a_position_this_connector_did_not_write_is_refused(exchange, connect, since):
    with pytest.raises(ConnectorError, match="reset the flow's position") as caught:
        read(connect(), since=since)
    assert caught.value.permanent
