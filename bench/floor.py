"""The floor: the same move as the hub's, done by a minimal script with no hub logic at all.

Fetch each page with ``requests``, parse the JSON, write the rows into a SQLite table (``executemany``,
one transaction per page, the same WAL settings as the hub's), and POST them to the target in batches of
500 with an idempotency key. No mapping, validation, matching, outcomes or outbox: what is left is the
cost of HTTP, JSON and SQLite, the least any tool doing this move must spend.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import requests

BATCH = 500
HTTP_TIMEOUT = 30
COLUMNS = (
    "id", "email", "first_name", "last_name", "company", "phone", "street", "postcode", "city", "country",
    "updated_at",
)  # fmt: skip
CREATE = (
    "CREATE TABLE people (id TEXT PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT, company TEXT, "
    "phone TEXT, street TEXT, postcode TEXT, city TEXT, country TEXT, updated_at TEXT)"
)
INSERT = "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _row(record: dict[str, Any]) -> tuple[Any, ...]:
    address = record.get("address") or {}
    return tuple(record.get(c, address.get(c)) for c in COLUMNS)


def _post(session: requests.Session, url: str, rows: list[tuple[Any, ...]]) -> None:
    key = hashlib.sha256("\n".join(str(row[0]) for row in rows).encode()).hexdigest()
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    response = session.post(url, json=items, headers={"Idempotency-Key": key}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    if len(response.json()) != len(rows):
        raise SystemExit("floor: the target did not answer for every item")


def move(args: argparse.Namespace, database: sqlite3.Connection) -> int:
    source, target = requests.Session(), requests.Session()
    source.headers["Authorization"] = f"Bearer {os.environ['BENCH_SOURCE_TOKEN']}"
    target.headers["Authorization"] = f"Bearer {os.environ['BENCH_TARGET_TOKEN']}"
    moved, pending = 0, []
    for page in range(1, args.records // args.page_size + 2):  # bounded: one empty page past the end
        response = source.get(
            f"{args.source_url}/records",
            params={"page": page, "per_page": args.page_size},
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        rows = [_row(record) for record in response.json()["data"]]
        with database:
            database.executemany(INSERT, rows)
        pending.extend(rows)
        while len(pending) >= BATCH or (pending and len(rows) < args.page_size):
            _post(target, f"{args.target_url}/items/batch", pending[:BATCH])
            moved, pending = moved + len(pending[:BATCH]), pending[BATCH:]
        if len(rows) < args.page_size:
            break
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--target-url", required=True)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--page-size", type=int, required=True)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    database = sqlite3.connect(args.database)  # each `with database:` is one transaction
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=NORMAL")
    database.execute(CREATE)
    started = time.perf_counter()
    moved = move(args, database)
    seconds = time.perf_counter() - started
    database.close()
    result = {"seconds": seconds, "records": moved, "records_per_second": moved / seconds}
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
