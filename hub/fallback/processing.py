"""Taking manual entries into the hub's records, a page at a time, inside a run of their flow.

An entry goes through what any record goes through (the entity's checks, matching by cross-reference
and natural key, the source-of-truth merge, the outbox), as coming from the manual-entry system, with
provenance that says it was typed, by whom, and that it is provisional. The run's per-record outcomes are
its trail (``entry-<id>``).
"""

from __future__ import annotations

import dataclasses

from hub.catalog.schema import clean_record
from hub.fallback.models import EntryState, ManualEntry
from hub.fallback.services import manual_system
from hub.flows.engine.context import RunContext
from hub.flows.engine.pipeline import Incoming, PageWork, Result, corrected_item
from hub.flows.models import Flow, Outcome

PAGE = 500


def manual_context(ctx: RunContext) -> RunContext:
    """The run's context with the manual-entry system as the source."""
    return dataclasses.replace(ctx, source=manual_system(), provisional=True, corrections={})


def entries_waiting(flow: Flow, limit: int = PAGE) -> list[ManualEntry]:
    found = ManualEntry.objects.filter(flow=flow, state=EntryState.WAITING).select_related("entered_by")
    return list(found.order_by("pk")[:limit])


def entries_items(ctx: RunContext, work: PageWork, entries: list[ManualEntry]) -> list[Incoming]:
    """Each entry as an incoming record; one that no longer fits the entity (its fields changed since it
    was typed) gets an outcome saying so and waits for its author's correction."""
    items = []
    for entry in entries:
        checked = clean_record(ctx.schema, entry.values)
        if checked.errors:
            reason = "; ".join(f"{name}: {' '.join(m)}" for name, m in checked.errors.items())
            work.outcomes.append(
                Result(
                    entry.external_id, Outcome.QUARANTINED, None, f"needs correcting by its author: {reason}"
                )
            )
            ManualEntry.objects.filter(pk=entry.pk, version=entry.version, state=EntryState.WAITING).update(
                state=EntryState.INVALID, problems=checked.errors, run=ctx.run
            )
            continue
        item = corrected_item(ctx, entry.external_id, entry.values, checked.values)
        item.fingerprint = ""  # typed values are looked at every time they are taken in
        item.provenance = {
            "provisional": True,
            "entry": entry.pk,
            "entered_by": entry.entered_by.get_username(),
            "system_id": ctx.source.pk,
        }
        items.append(item)
    return items


def entries_settle(ctx: RunContext, work: PageWork, entries: list[ManualEntry]) -> None:
    """Each entry taken in now names its record; one corrected meanwhile stays waiting for the next page."""
    records = {r.external_id: (r.record.pk if r.record is not None else r.record_id) for r in work.outcomes}
    for entry in entries:
        record_id = records.get(entry.external_id)
        if record_id is None:
            continue
        ManualEntry.objects.filter(pk=entry.pk, version=entry.version, state=EntryState.WAITING).update(
            state=EntryState.RECORDED, processed_version=entry.version, record_id=record_id, run=ctx.run,
            problems={},
        )  # fmt: skip
