"""Whole flows through the engine with the CSV-folder connector: folders under ``tmp_path``, files read
once (the flow resumes from the files read, the connector's ``Page.cursor``), each batch written as one
whole file, and lines that cannot be read quarantined with their reason while the run still balances.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.catalog.models import Record
from hub.flows.models import (
    Flow,
    Outcome,
    Quarantined,
    QuarantineState,
    RecordOutcome,
    RunState,
)
from tests.flows.connector_flows import (
    CSV_HEADER,
    CUSTOMER_FIELDS,
    CUSTOMER_INBOUND,
    CUSTOMER_OUTBOUND,
    NO_ID_NAME,
    at,
    configure,
    csv_files_read,
    cursor_of,
    customer,
    document,
    email,
    system,
)
from tests.flows.running import outcomes, run_once

pytestmark = pytest.mark.django_db

# 3. CSV folder -> CSV folder.


@dataclass(frozen=True)
class Folders:
    inbox: Path
    done: Path
    outbox: Path

    def drop(self, name: str, text: str) -> None:
        """The shop leaves a file: written under a dot name first, as a careful sender does."""
        hidden = self.inbox / f".{name}.part"
        hidden.write_text(text, encoding="utf-8")
        hidden.rename(self.inbox / name)

    def written(self) -> dict[str, list[dict[str, str]]]:
        found = {}
        for path in sorted(self.outbox.iterdir()):
            with path.open(newline="", encoding="utf-8") as handle:
                found[path.name] = list(csv.DictReader(handle))
        return found


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    made = Folders(tmp_path / "shop-out", tmp_path / "shop-done", tmp_path / "warehouse-in")
    for folder in (made.inbox, made.done, made.outbox):
        folder.mkdir()
    return made


def csv_line(number: int, minute: int | None = None) -> str:
    row = customer(number, minute)
    return f"{number},{row['email']},{row['name'].strip()},{row['balance']},{at(minute or number)}\n"


def csv_to_csv(folders: Folders, *, page_size: int, move: bool = True, cursor_field: str = "") -> Flow:
    source = {
        "inbox": str(folders.inbox),
        "pattern": "customers-*.csv",
        "processed_folder": str(folders.done) if move else "",
        "page_size": page_size,
    }
    config = document(
        systems=[
            system("Shop files", "csv_files", source),
            system(
                "Warehouse files", "csv_files", {"outbox": str(folders.outbox), "file_prefix": "customers"}
            ),
        ],
        entity="Customer",
        fields=CUSTOMER_FIELDS,
        inbound=[*CUSTOMER_INBOUND, {"source": "updated_at", "target": "updated_at"}],
        outbound=CUSTOMER_OUTBOUND,
        cursor_field=cursor_field,
    )
    return configure(config)


def test_csv_files_are_read_once_and_each_batch_is_written_as_one_whole_file(folders: Folders):
    folders.drop("customers-001.csv", CSV_HEADER + "".join(csv_line(n) for n in range(1, 5)))
    folders.drop("customers-002.csv", CSV_HEADER + "".join(csv_line(n) for n in range(5, 8)))
    flow = csv_to_csv(folders, page_size=3)

    first = run_once(flow)

    assert first.state == RunState.SUCCEEDED, first.error
    assert (first.fetched, first.accounted, first.created, first.pages) == (7, 7, 7, 3)
    assert sorted(p.name for p in folders.done.iterdir()) == ["customers-001.csv", "customers-002.csv"]
    assert list(folders.inbox.iterdir()) == []
    written = folders.written()
    assert all(name.startswith("customers-") and name.endswith(".csv") for name in written)  # no temp files
    # One file per pushed batch: the engine pushes after each page of 3, 3 and 1 records.
    assert sorted(len(rows) for rows in written.values()) == [1, 3, 3]
    rows = [row for file in written.values() for row in file]
    assert sorted(row["email"] for row in rows) == [email(n) for n in range(1, 8)]
    assert next(row for row in rows if row["email"] == email(5)) == {
        "email": email(5),
        "name": "Customer 5",
        "balance": "5.50",
    }

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert (second.fetched, second.accounted) == (0, 0)
    assert folders.written() == written

    # A new export: two new customers, and customer 1 again as it was (nothing to send for it).
    folders.drop("customers-003.csv", CSV_HEADER + csv_line(1) + csv_line(8) + csv_line(9))
    third = run_once(flow)

    assert third.state == RunState.SUCCEEDED, third.error
    assert outcomes(third) == {"1": Outcome.UNCHANGED, "8": Outcome.CREATED, "9": Outcome.CREATED}
    now = folders.written()
    new = {name: rows for name, rows in now.items() if name not in written}
    assert {name: rows for name, rows in now.items() if name in written} == written
    assert [sorted(row["email"] for row in rows) for rows in new.values()] == [[email(8), email(9)]]
    assert sorted(row["email"] for rows in now.values() for row in rows) == [email(n) for n in range(1, 10)]


def test_csv_files_left_in_place_are_not_read_again(folders: Folders):
    folders.drop("customers-001.csv", CSV_HEADER + csv_line(1) + csv_line(2))
    flow = csv_to_csv(folders, page_size=10, move=False)
    assert run_once(flow).created == 2
    assert csv_files_read(cursor_of(flow)) == {"done": {"customers-001.csv"}, "part": None}

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert second.fetched == 0  # "the hub remembers which it has read" (the setting's help)

    folders.drop("customers-002.csv", CSV_HEADER + csv_line(3))
    third = run_once(flow)

    assert third.state == RunState.SUCCEEDED, third.error
    assert outcomes(third) == {"3": Outcome.CREATED}  # the new file only
    assert csv_files_read(cursor_of(flow))["done"] == {"customers-001.csv", "customers-002.csv"}
    assert sorted(p.name for p in folders.inbox.iterdir()) == ["customers-001.csv", "customers-002.csv"]
    assert sorted(row["email"] for rows in folders.written().values() for row in rows) == [
        email(1),
        email(2),
        email(3),
    ]


def test_a_csv_flow_with_a_changed_at_field_resumes_from_the_files_read(folders: Folders):
    folders.drop("customers-001.csv", CSV_HEADER + csv_line(1) + csv_line(2))
    flow = csv_to_csv(folders, page_size=10, cursor_field="updated_at")
    first = run_once(flow)
    assert first.state == RunState.SUCCEEDED, first.error
    # The flow's cursor is the files read, not the newest change (2025-01-06T08:02:00Z), which is no
    # position in a folder.
    assert csv_files_read(cursor_of(flow))["done"] == {"customers-001.csv"}
    folders.drop("customers-002.csv", CSV_HEADER + csv_line(3, minute=1))  # changed before customer 2

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert second.since == first.cursor_after
    assert outcomes(second) == {"3": Outcome.CREATED}  # a new file is read, whatever its times
    assert Record.objects.get(natural_key=email(3)).data["updated_at"] == at(1)


# 4. What cannot be read is quarantined, and the run still balances.


def test_a_malformed_csv_line_is_quarantined_with_its_reason_and_the_run_balances(folders: Folders):
    broken = "3,customer003@example.com,Customer 3\n"  # two values short
    folders.drop("customers-001.csv", CSV_HEADER + csv_line(1) + csv_line(2) + broken + csv_line(4))
    flow = csv_to_csv(folders, page_size=10)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.fetched, run.accounted, run.created, run.quarantined) == (4, 4, 3, 1)
    quarantined = Quarantined.objects.get()
    reason = "customers-001.csv, line 4: 3 values where the header names 5 columns."
    assert quarantined.payload["_error"] == reason  # the connector's reason travels in the payload
    assert quarantined.payload["_values"] == ["3", "customer003@example.com", "Customer 3"]
    assert (quarantined.payload["_file"], quarantined.payload["_line"]) == ("customers-001.csv", 4)
    assert quarantined.errors["(record)"] == [reason]  # and is the engine's reason too
    assert NO_ID_NAME.fullmatch(quarantined.external_id), quarantined.external_id
    outcome = RecordOutcome.objects.get(run=run, outcome=Outcome.QUARANTINED)
    assert outcome.external_id == quarantined.external_id
    assert [row["email"] for rows in folders.written().values() for row in rows] == [
        email(1),
        email(2),
        email(4),
    ]


def test_a_malformed_csv_line_is_quarantined_for_what_is_wrong_with_it_first(folders: Folders):
    folders.drop("customers-001.csv", CSV_HEADER + "3,customer003@example.com,Customer 3\n")
    flow = csv_to_csv(folders, page_size=10)

    run = run_once(flow)

    outcome = RecordOutcome.objects.get(run=run)
    assert outcome.outcome == Outcome.QUARANTINED
    # What the connector found wrong comes first; what follows from it (no id, no e-mail) after.
    first, *then = outcome.reason.split("; ")
    assert first == "(record): customers-001.csv, line 2: 3 values where the header names 5 columns.", (
        outcome.reason
    )
    assert any(part.startswith("(id): ") for part in then), outcome.reason


def test_two_malformed_csv_lines_on_two_pages_are_both_quarantined(folders: Folders):
    broken = "{0},customer00{0}@example.com,Customer {0}\n"
    lines = broken.format(3) + csv_line(1) + broken.format(5) + csv_line(4)
    folders.drop("customers-001.csv", CSV_HEADER + lines)
    flow = csv_to_csv(folders, page_size=2)  # each malformed line comes first on its page

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.fetched, run.accounted, run.created, run.quarantined, run.pages) == (4, 4, 2, 2, 2)
    by_line = {q.payload["_line"]: q for q in Quarantined.objects.all()}
    assert set(by_line) == {2, 4}
    assert {line: q.page for line, q in by_line.items()} == {2: 1, 4: 2}
    for line, quarantined in by_line.items():
        assert quarantined.state == QuarantineState.OPEN
        assert quarantined.errors["(record)"] == [
            f"customers-001.csv, line {line}: 3 values where the header names 5 columns."
        ]
    # Named by their content: two names, not the same one twice (the second overwriting the first).
    names = {q.external_id for q in by_line.values()}
    assert len(names) == 2
    assert all(NO_ID_NAME.fullmatch(name) for name in names), names
    quarantined_outcomes = RecordOutcome.objects.filter(run=run, outcome=Outcome.QUARANTINED)
    assert sorted(quarantined_outcomes.values_list("external_id", flat=True)) == sorted(names)
    assert sorted(row["email"] for rows in folders.written().values() for row in rows) == [email(1), email(4)]
