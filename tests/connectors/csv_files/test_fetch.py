"""Reading the files another system leaves in the inbox: records, pages, malformed rows, formats."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError
from tests.connectors.csv_files.exchange import all_pages, records


def fields(found, *names):
    return [tuple(record.get(name) for name in names) for record in found]


def test_files_are_read_in_name_order_with_their_source(exchange, connect):
    exchange.drop("orders-2.csv", "id,item\n3,tea\n")
    exchange.drop("orders-1.csv", "id,item\n1,bread\n2,milk\n")
    found = records(all_pages(connect().fetch()))
    assert found == [
        {"id": "1", "item": "bread", "_file": "orders-1.csv", "_line": 2},
        {"id": "2", "item": "milk", "_file": "orders-1.csv", "_line": 3},
        {"id": "3", "item": "tea", "_file": "orders-2.csv", "_line": 2},
    ]


def test_pages_hold_at_most_the_page_size_and_span_files(exchange, connect):
    exchange.drop("a.csv", "id\n" + "".join(f"{n}\n" for n in range(1, 4)))
    exchange.drop("b.csv", "id\n" + "".join(f"{n}\n" for n in range(4, 6)))
    pages = all_pages(connect(page_size=2).fetch())
    assert [[r["id"] for r in page.records] for page in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert [page.has_more for page in pages] == [True, True, False]


def test_a_large_file_streams_a_page_at_a_time(exchange, connect):
    """The first pages arrive before the end of the file is read: its last line cannot be decoded."""
    body = "id,name\n" + "".join(f"{n},name {n}\n" for n in range(1, 5001))
    (exchange.inbox / "big.csv").write_bytes(body.encode() + b"5001,\xff\xfe broken\n")
    pages = connect(page_size=1000).fetch()
    first = next(pages)
    assert [r["_line"] for r in first.records[:2]] == [2, 3]
    assert len(first.records) == 1000
    with pytest.raises(ConnectorError, match=r"big\.csv is not written in utf-8") as caught:
        all_pages(pages)
    assert caught.value.permanent


def test_a_malformed_row_is_reported_with_its_file_and_line(exchange, connect):
    exchange.drop("stock.csv", 'sku,qty\nA1,5\n\n"B\n2",7\nC3,1,extra\nD4,2\n')
    found = records(all_pages(connect().fetch()))
    assert fields(found, "sku", "_line") == [("A1", 2), ("B\n2", 4), (None, 6), ("D4", 7)]
    bad = found[2]
    assert bad["_file"] == "stock.csv"
    assert bad["_error"] == "stock.csv, line 6: 3 values where the header names 2 columns."
    assert bad["_values"] == ["C3", "1", "extra"]


def test_a_header_naming_a_column_twice_is_reported_once(exchange, connect):
    exchange.drop("a.csv", "id,name,id\n1,Ada,2\n")
    exchange.drop("b.csv", "id,name\n3,Bo\n")
    found = records(all_pages(connect().fetch()))
    assert "names “id” more than once" in found[0]["_error"]
    assert found[0]["_line"] == 1
    assert fields(found[1:], "id", "_file") == [("3", "b.csv")]


def test_without_header_columns_are_numbered(exchange, connect):
    exchange.drop("a.csv", "1,Ada\n2,Bo\n3\n")
    found = records(all_pages(connect(header=False).fetch()))
    assert fields(found, "column_1", "column_2", "_line") == [
        ("1", "Ada", 1),
        ("2", "Bo", 2),
        (None, None, 3),
    ]
    assert "1 values where the first line has 2 columns" in found[2]["_error"]


@pytest.mark.parametrize(("choice", "separator"), [(";", ";"), ("tab", "\t"), ("|", "|")])
def test_other_separators(exchange, connect, choice, separator):
    exchange.drop("a.csv", f"id{separator}name\n1{separator}Ada, Countess\n")
    (record,) = records(all_pages(connect(delimiter=choice).fetch()))
    assert (record["id"], record["name"]) == ("1", "Ada, Countess")


def test_an_excel_file_with_a_bom_reads_as_utf8(exchange, connect):
    exchange.drop("excel.csv", "id,name\n1,Zoë\n", encoding="utf-8-sig")
    (record,) = records(all_pages(connect().fetch()))
    assert (record["id"], record["name"]) == ("1", "Zoë")


def test_windows_1252_files(exchange, connect):
    exchange.drop("old.csv", "id,price\n1,5 €\n", encoding="cp1252")
    (record,) = records(all_pages(connect(encoding="cp1252").fetch()))
    assert record["price"] == "5 €"


def test_the_pattern_chooses_files_without_regard_to_case(exchange, connect):
    exchange.drop("ORDERS-1.CSV", "id\n1\n")
    exchange.drop("orders-2.csv", "id\n2\n")
    exchange.drop("customers.csv", "id\n3\n")
    exchange.drop(".orders-3.csv", "id\n4\n")  # hidden: a file still being written
    exchange.drop("orders-4.txt", "id\n5\n")
    found = records(all_pages(connect(pattern="orders-*.csv").fetch()))
    assert [r["_file"] for r in found] == ["ORDERS-1.CSV", "orders-2.csv"]


def test_resource_overrides_the_pattern(exchange, connect):
    exchange.drop("orders.csv", "id\n1\n")
    exchange.drop("customers.csv", "id\n2\n")
    found = records(all_pages(connect().fetch(resource="customers*.csv")))
    assert [r["_file"] for r in found] == ["customers.csv"]


def test_an_empty_inbox_gives_one_empty_page(exchange, connect):
    (page,) = all_pages(connect().fetch())
    assert (page.records, page.has_more) == ([], False)
    assert page.cursor is not None


def test_a_missing_inbox_is_a_transient_error(exchange, connect):
    exchange.inbox.rmdir()
    with pytest.raises(ConnectorError, match="does not exist") as caught:
        all_pages(connect().fetch())
    assert not caught.value.permanent
