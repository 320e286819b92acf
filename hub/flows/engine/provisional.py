"""Values typed into the fallback form, in the pipeline: provisional until a system authoritative for them
sends its own; then its values win, each typed value that differs becomes a conflict for a person, and
the entries they came from are reconciled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from hub.catalog.merging import MergeResult
from hub.catalog.models import Conflict, Record
from hub.fallback.models import EntryState, ManualEntry
from hub.flows.engine.context import RunContext

if TYPE_CHECKING:
    from hub.flows.engine.pipeline import Incoming, PageWork


def typed_values(record: Record) -> dict[str, dict[str, Any]]:
    """The record's values that a person typed into the fallback form and no system has confirmed yet."""
    return {
        name: origin
        for name, origin in record.provenance.items()
        if isinstance(origin, dict) and origin.get("provisional")
    }


def reconcile(
    ctx: RunContext,
    work: PageWork,
    item: Incoming,
    record: Record,
    typed: dict[str, dict[str, Any]],
    merged: MergeResult,
    stamp: dict[str, Any],
) -> None:
    """A system authoritative for typed values sends the record: what it sends for them replaces them,
    each typed value that differs is shown to a person, and the entries they came from are reconciled.
    A system that is not authoritative for a field is merged as usual there (a differing value of its own
    is a conflict), and leaves the typed value provisional."""
    for name, origin in typed.items():
        owner = ctx.owner_of(name)
        if name not in item.values or owner not in (None, ctx.source.pk):
            continue
        if name in merged.changed:
            work.typed_differences.append(
                (record, name, merged.data[name], record.data.get(name), int(origin.get("system_id") or 0))
            )
        elif item.values[name] == record.data.get(name):  # the system confirms what was typed
            merged.provenance[name] = dict(stamp)
        if isinstance(origin.get("entry"), int):
            work.reconciled[origin["entry"]] = item.external_id


def write_reconciled(ctx: RunContext, work: PageWork) -> None:
    if work.typed_differences:
        Conflict.objects.bulk_create(
            [
                Conflict(
                    record=record, field=name, system_id=system_id, kept_value=kept, offered_value=typed,
                    run=ctx.run,
                    note=f"typed by hand while {ctx.source.name} was down; {ctx.source.name} sent another value",
                )
                for record, name, kept, typed, system_id in work.typed_differences
                if system_id
            ],
            ignore_conflicts=True,
        )  # fmt: skip
    if work.reconciled:
        now = timezone.now()
        for entry_id, external_id in work.reconciled.items():
            # Only an entry whose latest version is in the record: a correction still waiting is taken
            # in afterwards (its typed values then meet the source's as conflicts, for a person).
            ManualEntry.objects.filter(
                pk=entry_id, state=EntryState.RECORDED, processed_version=F("version")
            ).update(
                state=EntryState.RECONCILED, reconciled_at=now,
                reconciled_with=f"{ctx.source.name} {external_id}"[:300], updated_at=now,
            )  # fmt: skip
