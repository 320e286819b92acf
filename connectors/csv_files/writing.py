"""Write one batch as one CSV file, atomically and once.

The file is named ``<start>-<code>.csv``, the code being the first 20 hex digits of the SHA-256 of all
the batch's idempotency keys joined by newlines (all of them, not only the first: two different batches
that happen to start with the same record must not share a name). The same batch sent again gets the
same name; when that file is already there, nothing is written and the records are reported delivered.

The rows are written to a hidden temporary file in the same folder (``.<name>.<random>.tmp``, never
matched by a reader that skips dot files), flushed and synced to disk, then renamed over the final name
in one step (``os.replace``) and the folder synced: the other system sees the whole file or none of it.

Columns are the union of the payloads' keys in first-seen order; a record without a column gets an empty
value. A record with a value the encoding cannot store fails alone, the others are written.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import secrets
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import ConnectorError, OutgoingRecord, PushOutcome

from .folders import folder_error
from .options import CsvOptions

_CODE_DIGITS = 20


def file_name(prefix: str, batch: Sequence[OutgoingRecord]) -> str:
    keys = "\n".join(record.idempotency_key for record in batch)
    return f"{prefix}-{hashlib.sha256(keys.encode()).hexdigest()[:_CODE_DIGITS]}.csv"


def write_batch(
    folder: Path, prefix: str, batch: Sequence[OutgoingRecord], options: CsvOptions
) -> list[PushOutcome]:
    target = folder / file_name(prefix, batch)
    rows = [_cells(record.payload) for record in batch]
    problems = [_unstorable(cells, options.encoding) for cells in rows]
    good = [cells for cells, problem in zip(rows, problems, strict=True) if not problem]
    try:
        if good and not target.exists():
            _write_atomically(target, _table(good, options.header), options)
    except OSError as error:
        failure = folder_error(error, folder, "write to")
        return [PushOutcome(r.idempotency_key, ok=False, error=failure) for r in batch]
    return [_outcome(record, problem) for record, problem in zip(batch, problems, strict=True)]


def _outcome(record: OutgoingRecord, problem: str) -> PushOutcome:
    if problem:
        error = ConnectorError(problem, permanent=True)
        return PushOutcome(record.idempotency_key, ok=False, external_id=record.external_id, error=error)
    return PushOutcome(record.idempotency_key, ok=True, external_id=record.external_id)


def _cells(payload: dict[str, Any]) -> dict[str, str]:
    return {str(name): _cell(value) for name, value in payload.items()}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _unstorable(cells: dict[str, str], encoding: str) -> str:
    for name, text in cells.items():
        try:
            f"{name}{text}".encode(encoding)
        except UnicodeEncodeError:
            return (
                f"“{name}” holds characters that {encoding} cannot store: choose UTF-8 as "
                f"“Character encoding”."
            )
    return ""


def _table(rows: list[dict[str, str]], header: bool) -> list[list[str]]:
    columns = list(dict.fromkeys(name for cells in rows for name in cells))
    body = [[cells.get(name, "") for name in columns] for cells in rows]
    return [columns, *body] if header else body


def _write_atomically(target: Path, table: list[list[str]], options: CsvOptions) -> None:
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "w", encoding=options.encoding, newline="") as handle:
            csv.writer(handle, delimiter=options.delimiter).writerows(table)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
