"""In-memory records of one sample system: upserts, incremental selects, a write log and idempotency."""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from demo.samples.protocol import ApiError

Record = dict[str, Any]
Seed = Callable[[], dict[str, list[Record]]]
Validator = Callable[[Mapping[str, Any]], "str | None"]
T = TypeVar("T")


def accept_all(record: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class ResourceSpec:
    """How one resource names its key and its change timestamp, and what a valid record looks like."""

    name: str
    key_field: str
    key_prefix: str
    timestamp_field: str
    parse_time: Callable[[str], datetime]
    format_time: Callable[[datetime], str]
    validate: Validator = accept_all
    # Fields a newly created record starts with, so that every record of a resource has the same shape.
    defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    key: str
    action: Literal["created", "updated"]
    record: Record


class Store:
    """Thread-safe; every read hands out copies so that callers can never change stored state by accident."""

    def __init__(self, specs: Sequence[ResourceSpec], seed: Seed) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self._seed = seed
        # Re-entrant: an idempotent write holds the lock while the upsert inside it takes it again.
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        data = self._seed()
        with self._lock:
            self._records = {
                name: {record[spec.key_field]: record for record in data.get(name, [])}
                for name, spec in self.specs.items()
            }
            self._write_log: list[dict[str, Any]] = []
            self._replies: dict[str, Any] = {}

    def count(self, resource: str) -> int:
        with self._lock:
            return len(self._records[resource])

    def select(self, resource: str, since: datetime | None = None) -> list[Record]:
        """Records changed at or after ``since``, oldest first (ties by key), so offsets stay stable."""
        spec = self.specs[resource]
        with self._lock:
            records = copy.deepcopy(list(self._records[resource].values()))
        stamped = [(spec.parse_time(record[spec.timestamp_field]), record) for record in records]
        if since is not None:
            stamped = [(moment, record) for moment, record in stamped if moment >= since]
        stamped.sort(key=lambda pair: (pair[0], str(pair[1][spec.key_field])))
        return [record for _, record in stamped]

    def upsert(self, resource: str, item: Mapping[str, Any]) -> WriteResult:
        spec = self.specs[resource]
        with self._lock:
            table = self._records[resource]
            key = _key_of(spec, item) or _next_key(spec.key_prefix, table)
            existing = table.get(key)
            # The system owns the change timestamp, as real systems do; a client cannot backdate it.
            fields = copy.deepcopy({**(existing or spec.defaults), **item})
            record = {spec.key_field: key, **fields}
            record[spec.key_field] = key  # an empty key in the item means "create", so it must not survive
            record[spec.timestamp_field] = spec.format_time(datetime.now(UTC))
            problem = spec.validate(record)
            if problem is not None:
                raise ApiError(422, problem)
            table[key] = record
            action: Literal["created", "updated"] = "updated" if existing else "created"
            self._write_log.append(
                {"seq": len(self._write_log) + 1, "resource": resource, "key": key, "action": action}
            )
            return WriteResult(key, action, copy.deepcopy(record))

    def once(self, idempotency_key: str | None, compute: Callable[[], T]) -> tuple[T, bool]:
        """Run ``compute`` once per key and replay its result afterwards; the flag says "replayed"."""
        if not idempotency_key:
            return compute(), False
        with self._lock:
            if idempotency_key in self._replies:
                return copy.deepcopy(self._replies[idempotency_key]), True
            result = compute()
            self._replies[idempotency_key] = copy.deepcopy(result)
            return result, False

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            log = copy.deepcopy(self._write_log)
        return {
            "records": {name: self.select(name) for name in self.specs},
            "writes": len(log),
            "write_log": log,
        }


def _key_of(spec: ResourceSpec, item: Mapping[str, Any]) -> str | None:
    key = item.get(spec.key_field)
    if key is None or key == "":
        return None
    if not isinstance(key, str):
        raise ApiError(400, f"{spec.key_field} must be a string, got {key!r}")
    return key


def _next_key(prefix: str, table: Mapping[str, Record]) -> str:
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    numbers = [int(match.group(1)) for key in table if (match := pattern.match(key))]
    return f"{prefix}{max(numbers, default=0) + 1}"
