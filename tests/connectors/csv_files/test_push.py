"""Writing one file per batch into the outbox: atomically, once, readable by the other system."""

from __future__ import annotations

import csv
import hashlib

import pytest

from connectors.base import ConfigurationError, OutgoingRecord, UnreachableError
from tests.connectors.csv_files.exchange import all_pages, records

BATCH = [
    OutgoingRecord("order-1", {"id": 1, "item": "bread", "paid": True}),
    OutgoingRecord("order-2", {"id": 2, "note": "leave at the door", "item": "milk", "paid": None}),
    OutgoingRecord("order-3", {"id": 3, "tags": ["fresh", "local"], "price": 2.5}),
]


def written(exchange):
    return sorted(exchange.outbox.iterdir())


def rows_of(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def test_a_batch_becomes_one_file_with_the_union_of_the_columns(exchange, connect):
    outcomes = connect().push(BATCH)
    assert [(o.idempotency_key, o.ok) for o in outcomes] == [
        ("order-1", True),
        ("order-2", True),
        ("order-3", True),
    ]
    (path,) = written(exchange)
    assert rows_of(path) == [
        ["id", "item", "paid", "note", "tags", "price"],
        ["1", "bread", "true", "", "", ""],
        ["2", "milk", "", "leave at the door", "", ""],
        ["3", "", "", "", '["fresh", "local"]', "2.5"],
    ]


def test_the_file_is_named_after_the_batch_keys(exchange, connect):
    connect(file_prefix="orders").push(BATCH)
    digest = hashlib.sha256(b"order-1\norder-2\norder-3").hexdigest()[:20]
    assert [p.name for p in written(exchange)] == [f"orders-{digest}.csv"]


def test_the_same_batch_pushed_twice_writes_one_file_once(exchange, connect):
    connector = connect()
    connector.push(BATCH)
    (path,) = written(exchange)
    before = path.stat().st_mtime_ns, path.stat().st_ino
    again = connector.push(BATCH)
    assert all(o.ok for o in again)
    assert written(exchange) == [path]
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before, "the file was written again"


def test_another_batch_with_the_same_first_record_gets_another_file(exchange, connect):
    connector = connect()
    connector.push(BATCH)
    connector.push(BATCH[:2])
    assert len(written(exchange)) == 2


def test_no_temporary_file_is_left_behind(exchange, connect):
    connect().push(BATCH)
    assert [p.name for p in exchange.outbox.iterdir() if p.name.startswith(".")] == []


def test_a_value_the_encoding_cannot_store_fails_its_record_alone(exchange, connect):
    batch = [OutgoingRecord("a", {"name": "Ada"}), OutgoingRecord("b", {"name": "✓ Bo"})]
    outcomes = connect(encoding="latin-1").push(batch)
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].error is not None
    assert outcomes[1].error.permanent
    assert "latin-1 cannot store" in outcomes[1].error.message
    (path,) = written(exchange)
    assert path.read_text(encoding="latin-1").splitlines() == ["name", "Ada"]


def test_format_settings_apply_to_written_files(exchange, connect):
    connect(delimiter=";", header=False, encoding="utf-8-sig").push(
        [OutgoingRecord("a", {"id": 1, "name": "Zoë"})]
    )
    (path,) = written(exchange)
    assert path.read_bytes() == "\ufeff1;Zoë\r\n".encode()


def test_what_is_written_reads_back_the_same(exchange, tmp_path, connect):
    connect(delimiter="tab").push(BATCH)
    reader = connect(inbox=str(exchange.outbox), outbox=str(tmp_path / "elsewhere"), delimiter="tab")
    found = records(all_pages(reader.fetch()))
    assert [(r["id"], r["item"], r["tags"]) for r in found] == [
        ("1", "bread", ""),
        ("2", "milk", ""),
        ("3", "", '["fresh", "local"]'),
    ]


def test_resource_names_the_start_of_the_file_name(exchange, connect):
    connect().push(BATCH, resource="invoices")
    assert [p.name.split("-")[0] for p in written(exchange)] == ["invoices"]
    with pytest.raises(ConfigurationError, match="letters, digits"):
        connect().push(BATCH, resource="../escape")


def test_a_missing_outbox_fails_the_batch_for_a_retry(exchange, connect):
    exchange.outbox.rmdir()
    outcomes = connect().push(BATCH)
    assert all(not o.ok and isinstance(o.error, UnreachableError) for o in outcomes)
    assert "does not exist" in outcomes[0].error.message


def test_pushing_needs_an_outbox(exchange, connect):
    with pytest.raises(ConfigurationError, match="Folder to write files to"):
        connect(outbox="").push(BATCH)


def test_an_empty_batch_writes_nothing(exchange, connect):
    assert connect().push([]) == []
    assert written(exchange) == []
