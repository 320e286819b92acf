"""Exporting the filtered trail as CSV or JSON, streamed, and recording the export in the trail itself.

Memory stays bounded whatever the size: rows are read with ``iterator(chunk_size=2000)`` and written to the
response as they come (``StreamingHttpResponse``). The export covers the entries that existed when it was
asked for (ids up to the newest one then), so its own "exported" entry, written before the first row is
sent, is never part of it and the file is the same whenever the client reads it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from auditlog.models import LogEntry
from django.db.models import QuerySet

from hub.audit.events import EVENT_KEY, Event
from hub.audit.services import Actor, audit_event
from hub.audit.views import entry_reason, entry_run_id, entry_what, entry_who

CHUNK = 2000
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
COLUMNS = [
    "id", "timestamp", "who", "actor", "what", "action", "event", "object_type", "object_pk", "object",
    "reason", "cid", "run", "remote_addr", "changes", "additional_data",
]  # fmt: skip
ACTION_NAMES = {
    LogEntry.Action.CREATE: "created", LogEntry.Action.UPDATE: "changed",
    LogEntry.Action.DELETE: "deleted", LogEntry.Action.ACCESS: "accessed",
}  # fmt: skip
# A spreadsheet runs a cell that starts with one of these as a formula: such cells get a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def trail_export_record(*, actor: Actor, fmt: str, filter_words: str, remote_addr: str | None) -> Any:
    """The export's own audit entry: who exported the trail, in which format, with which filter."""
    return audit_event(
        event=Event.EXPORTED, what=f"audit trail ({fmt.upper()})", actor=actor, remote_addr=remote_addr,
        reason=f"audit trail exported as {fmt.upper()}; filter: {filter_words}",
    )  # fmt: skip


def export_snapshot(entries: QuerySet[Any]) -> QuerySet[Any]:
    """The entries as they are now: later ones (the export's own entry among them) are left out."""
    newest = LogEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return entries.filter(id__lte=newest or 0)


def export_row(entry: Any) -> dict[str, Any]:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    return {
        "id": entry.pk,
        "timestamp": entry.timestamp.isoformat(),
        "who": entry_who(entry),
        "actor": entry.actor.get_username() if entry.actor is not None else None,
        "what": entry_what(entry),
        "action": ACTION_NAMES.get(entry.action, str(entry.action)),
        "event": data.get(EVENT_KEY) if entry.action == LogEntry.Action.ACCESS else None,
        "object_type": f"{entry.content_type.app_label}.{entry.content_type.model}"
        if entry.content_type
        else "",
        "object_pk": entry.object_pk,
        "object": entry.object_repr,
        "reason": entry_reason(entry),
        "cid": entry.cid,
        "run": entry_run_id(entry),
        "remote_addr": entry.remote_addr,
        "changes": entry.changes if isinstance(entry.changes, dict) else {},
        "additional_data": data,
    }


def _rows(entries: QuerySet[Any]) -> Iterator[dict[str, Any]]:
    for entry in entries.iterator(chunk_size=CHUNK):
        yield export_row(entry)


class _Line:
    """A file-like object for csv.writer that hands back what was written instead of storing it."""

    def write(self, text: str) -> str:
        return text


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_stream(entries: QuerySet[Any]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in _rows(entries):
        yield writer.writerow([_cell(row[name]) for name in COLUMNS])


def json_stream(entries: QuerySet[Any]) -> Iterator[str]:
    """One JSON array, one entry per line, written as it is read."""
    separator = "[\n"
    for row in _rows(entries):
        yield separator + json.dumps(row, ensure_ascii=False, default=str)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"
