"""Read the records of CSV files, one at a time, so that a file of any size streams.

Each record is a dict of the file's values (text, as CSV has no types) keyed by the header's names (or
``column_1``, ``column_2`` ... without a header), plus ``_file`` (the file name) and ``_line`` (the
line the record starts on, counting from 1, header included), so that any error can point to its
source. Blank lines are skipped. A row that does not fit (another number of values than the header has
columns, or a line the CSV reader cannot parse) is not dropped: it comes as a record with ``_error``
saying what is wrong and ``_values`` holding what could be read, for the engine to quarantine.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.base import UNREADABLE, ConnectorError

from .cursor import Partial
from .folders import FileInfo, folder_error
from .options import CsvOptions


@dataclass(frozen=True)
class Step:
    """One thing read: a record of ``file`` (``rows`` records of it so far), or its end (record None)."""

    file: FileInfo
    rows: int
    record: dict[str, Any] | None


@dataclass(frozen=True)
class Line:
    number: int
    values: list[str]
    problem: str = ""


def steps(files: list[FileInfo], options: CsvOptions, partial: Partial | None) -> Iterator[Step]:
    for file in files:
        skip = partial.rows if partial is not None and partial.applies_to(file) else 0
        rows = skip
        try:
            for record in file_records(file, options, skip):
                rows += 1
                yield Step(file, rows, record)
        except FileNotFoundError:
            continue  # taken away since the folder was listed: not read, so not remembered
        yield Step(file, rows, None)


def file_records(file: FileInfo, options: CsvOptions, skip: int = 0) -> Iterator[dict[str, Any]]:
    """The records of one file, after the first ``skip`` (malformed ones count too)."""
    try:
        handle = open(file.path, newline="", encoding=options.read_encoding)  # noqa: SIM115
    except PermissionError as error:
        raise folder_error(error, file.path, "read") from None
    with handle:
        lines = _lines(csv.reader(handle, delimiter=options.delimiter), file)
        records = _records(lines, file, options.header)
        for index, record in enumerate(records):
            if index >= skip:
                yield record


def _records(lines: Iterator[Line], file: FileInfo, header: bool) -> Iterator[dict[str, Any]]:
    columns: list[str] | None = None
    for line in lines:
        if columns is None and not line.problem:
            columns = _header(line.values) if header else _numbered(len(line.values))
            twice = _twice(columns)
            if twice:  # the file cannot be mapped: reported once, the rest is not read
                yield _record(
                    Line(line.number, line.values, f"the header names {twice} more than once"), file
                )
                return
            if header:
                continue
        yield _record(line, file, columns, "the header names" if header else "the first line has")


def _lines(reader: Any, file: FileInfo) -> Iterator[Line]:
    """Non-blank rows with the line each starts on. Bounded: every step reads at least one line."""
    last = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if reader.line_num <= last:
                message = f"{file.name} cannot be read past line {last}: {error}."
                raise ConnectorError(message, permanent=True) from None
            yield Line(last + 1, [], f"the line cannot be read as CSV ({error})")
        except UnicodeDecodeError as error:
            raise _encoding_error(file, last, error) from None
        else:
            if values:
                yield Line(last + 1, values)
        last = reader.line_num


def _encoding_error(file: FileInfo, last: int, error: UnicodeDecodeError) -> ConnectorError:
    return ConnectorError(
        f"{file.name} is not written in {error.encoding} (near line {last + 1}): choose its “Character "
        f"encoding” in the settings.",
        permanent=True,
    )


def _header(values: list[str]) -> list[str]:
    return [value.strip() or f"column_{n}" for n, value in enumerate(values, start=1)]


def _twice(names: list[str]) -> str:
    return ", ".join(f"“{name}”" for name in sorted({name for name in names if names.count(name) > 1}))


def _numbered(count: int) -> list[str]:
    return [f"column_{n}" for n in range(1, count + 1)]


def _record(
    line: Line, file: FileInfo, columns: list[str] | None = None, expected: str = ""
) -> dict[str, Any]:
    source = {"_file": file.name, "_line": line.number}
    problem = line.problem
    if not problem and columns is not None and len(line.values) != len(columns):
        problem = f"{len(line.values)} values where {expected} {len(columns)} columns"
    if problem or columns is None:
        return {**source, UNREADABLE: f"{file.name}, line {line.number}: {problem}.", "_values": line.values}
    return {**dict(zip(columns, line.values, strict=True)), **source}
