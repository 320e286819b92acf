"""One page of source records through map, validate, match, merge and the outbox, in one transaction.

Database work is a fixed number of queries per page, whatever the page size: every read is an ``__in``
lookup for the whole page, every write a bulk statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hub.catalog.merging import merge_values
from hub.catalog.models import Conflict, ConflictState, CrossReference, Record
from hub.catalog.schema import clean_record, natural_key
from hub.flows.engine.context import RunContext, content_hash
from hub.flows.engine.outbox import plan_deliveries
from hub.flows.models import Outcome, Quarantined, QuarantineState, RecordOutcome
from hub.mappings.paths import MISSING, get_path

DUPLICATE = "(same record twice)"


@dataclass
class Incoming:
    external_id: str
    raw: dict[str, Any]
    values: dict[str, Any]
    key: str | None


@dataclass
class PageWork:
    """What one page will write; filled in memory, then written in bulk."""

    number: int
    outcomes: list[RecordOutcome] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    new_records: list[Record] = field(default_factory=list)
    changed_records: dict[int, Record] = field(default_factory=dict)
    touched: list[Record] = field(default_factory=list)
    new_xrefs: list[tuple[Record, str, str]] = field(default_factory=list)
    conflicts: list[tuple[Record, str, Any, Any]] = field(default_factory=list)
    cursor: str = ""


def external_id_of(ctx: RunContext, raw: dict[str, Any]) -> str | None:
    value = get_path(raw, ctx.id_path)
    if value is MISSING or value is None or value == "":
        return None
    return str(value)


def _key_text(ctx: RunContext, values: dict[str, Any]) -> str | None:
    key = natural_key(ctx.schema, values)
    return None if key is None else "|".join(str(part) for part in key)


def _prepare(ctx: RunContext, work: PageWork, raw: dict[str, Any]) -> Incoming | None:
    """Map and validate one record; quarantine it (and return None) when it does not fit."""
    external_id = external_id_of(ctx, raw)
    mapped = ctx.inbound.apply(raw)
    checked = clean_record(ctx.schema, mapped.values)
    errors = {**checked.errors, **mapped.errors}
    if external_id is None:
        errors["(id)"] = [f"The record has no id at '{ctx.id_path}', so it cannot be matched."]
    if errors:
        _quarantine(
            ctx, work, raw, external_id or f"(no id, record {len(work.outcomes) + 1})", checked.values, errors
        )
        return None
    values = {k: v for k, v in checked.values.items() if k in ctx.carried or k in ctx.key_fields}
    return Incoming(external_id=str(external_id), raw=raw, values=values, key=_key_text(ctx, values))


def _quarantine(
    ctx: RunContext,
    work: PageWork,
    raw: dict[str, Any],
    external_id: str,
    values: dict[str, Any],
    errors: Any,
) -> None:
    reason = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    work.quarantined.append(
        Quarantined(
            flow=ctx.flow, run=ctx.run, system=ctx.source, external_id=external_id, page=work.number,
            payload=raw, values=values, errors=errors,
        )
    )  # fmt: skip
    work.outcomes.append(_outcome(ctx, work, external_id, Outcome.QUARANTINED, None, reason[:2000]))


def _outcome(
    ctx: RunContext, work: PageWork, external_id: str, outcome: str, record: Record | None, reason: str = ""
) -> RecordOutcome:
    return RecordOutcome(
        run=ctx.run, system=ctx.source, external_id=external_id, page=work.number, outcome=outcome,
        record=record, reason=reason,
    )  # fmt: skip


def process_page(ctx: RunContext, number: int, records: list[dict[str, Any]]) -> PageWork:
    work = PageWork(number=number)
    incoming = [item for raw in records if (item := _prepare(ctx, work, raw)) is not None]
    return process_items(ctx, work, incoming)


def corrected_item(
    ctx: RunContext, external_id: str, payload: dict[str, Any], values: dict[str, Any]
) -> Incoming:
    """A quarantined record a person corrected: its values are already canonical, no mapping needed."""
    kept = {k: v for k, v in values.items() if k in ctx.carried or k in ctx.key_fields}
    return Incoming(external_id=external_id, raw=payload, values=kept, key=_key_text(ctx, kept))


def process_items(ctx: RunContext, work: PageWork, incoming: list[Incoming]) -> PageWork:
    with transaction.atomic():
        _match_and_merge(ctx, work, incoming)
        _write(ctx, work)
        plan_deliveries(ctx, work.touched)
    return work


def _ident(record: Record) -> int:
    """A record's identity within a page: its id once saved, the object itself before."""
    return record.pk or -id(record)


def _match_and_merge(ctx: RunContext, work: PageWork, incoming: list[Incoming]) -> None:
    by_xref, by_key, seen_from_source = _lookup(ctx, incoming)
    created: dict[str, Record] = {}
    stamp = {"system": ctx.source.name, "run": ctx.run.pk, "at": timezone.now().isoformat()}
    for item in incoming:
        record = by_xref.get(item.external_id)
        matched_by_key = record is None
        if record is None and item.key is not None:
            record = by_key.get(item.key) or created.get(item.key)
        if record is not None and matched_by_key and _ident(record) in seen_from_source:
            _duplicate(ctx, work, item, record)
            continue
        is_new = record is None
        if record is None:
            record = Record(entity=ctx.flow.entity, data={}, provenance={}, natural_key=item.key)
            work.new_records.append(record)
            if item.key is not None:
                created[item.key] = record
        _merge_one(ctx, work, item, record, is_new, stamp)
        seen_from_source.add(_ident(record))
        if matched_by_key:
            work.new_xrefs.append((record, item.external_id, content_hash(item.values)))
        _advance_cursor(ctx, work, item)


def _advance_cursor(ctx: RunContext, work: PageWork, item: Incoming) -> None:
    value = item.values.get(ctx.flow.cursor_field) if ctx.flow.cursor_field else None
    if isinstance(value, str) and value > work.cursor:
        work.cursor = value


def _lookup(
    ctx: RunContext, incoming: list[Incoming]
) -> tuple[dict[str, Record], dict[str, Record], set[int]]:
    ids = [item.external_id for item in incoming]
    xrefs = CrossReference.objects.filter(system=ctx.source, entity=ctx.flow.entity, external_id__in=ids)
    by_xref = {x.external_id: x.record for x in xrefs.select_related("record")}
    keys = {item.key for item in incoming if item.key is not None and item.external_id not in by_xref}
    by_key = {
        r.natural_key: r
        for r in Record.objects.filter(entity=ctx.flow.entity, natural_key__in=keys)
        if r.natural_key
    }
    matched = [r.pk for r in by_key.values()]
    has_source_xref = set(
        CrossReference.objects.filter(system=ctx.source, record__in=matched).values_list(
            "record_id", flat=True
        )
    )
    return by_xref, by_key, has_source_xref


def _duplicate(ctx: RunContext, work: PageWork, item: Incoming, record: Record) -> None:
    reason = (
        f"{ctx.source.name} holds this {ctx.flow.entity.name} twice: {item.external_id} has the same "
        f"natural key ({item.key}) as a record it already sent. Flagged for a person; not merged."
    )
    work.conflicts.append((record, DUPLICATE, None, item.external_id))
    work.outcomes.append(_outcome(ctx, work, item.external_id, Outcome.CONFLICT, record, reason))


def _merge_one(
    ctx: RunContext, work: PageWork, item: Incoming, record: Record, is_new: bool, stamp: dict[str, Any]
) -> None:
    merged = merge_values(
        data=record.data, provenance=record.provenance, incoming=item.values, source_id=ctx.source.pk,
        owner_of=ctx.owner_of, stamp=stamp,
    )  # fmt: skip
    record.data, record.provenance = merged.data, merged.provenance
    if merged.changed or is_new:
        record.content_hash = content_hash(record.data)
        record.updated_at = timezone.now()  # bulk_update does not apply auto_now
        if not is_new and record.pk:
            work.changed_records[record.pk] = record
    for offer in merged.conflicts:
        work.conflicts.append((record, offer.field, offer.kept, offer.offered))
    work.touched.append(record)
    if merged.conflicts:
        fields = ", ".join(o.field for o in merged.conflicts)
        outcome, reason = Outcome.CONFLICT, f"{ctx.source.name} is not authoritative for: {fields}"
    elif is_new:
        outcome, reason = Outcome.CREATED, ""
    else:
        outcome = Outcome.UPDATED if merged.changed else Outcome.UNCHANGED
        reason = ", ".join(merged.changed)
    work.outcomes.append(_outcome(ctx, work, item.external_id, outcome, record, reason))


def _write(ctx: RunContext, work: PageWork) -> None:
    Record.objects.bulk_create(work.new_records)
    if work.changed_records:
        Record.objects.bulk_update(
            list(work.changed_records.values()), ["data", "provenance", "content_hash", "updated_at"]
        )
    CrossReference.objects.bulk_create(
        [
            CrossReference(record=r, entity=ctx.flow.entity, system=ctx.source, external_id=ext, last_hash=h)
            for r, ext, h in work.new_xrefs
        ],
        ignore_conflicts=True,
    )
    _write_conflicts(ctx, work)
    _write_quarantine(ctx, work)
    for outcome in work.outcomes:
        outcome.record_id = outcome.record.pk if outcome.record is not None else None
    RecordOutcome.objects.bulk_create(work.outcomes, ignore_conflicts=True)


def _write_conflicts(ctx: RunContext, work: PageWork) -> None:
    if not work.conflicts:
        return
    records = {r.pk for r, *_ in work.conflicts}
    open_ = {
        (c.record_id, c.field): c
        for c in Conflict.objects.filter(record__in=records, system=ctx.source, state=ConflictState.OPEN)
    }
    fresh, stale = [], []
    for record, name, kept, offered in work.conflicts:
        existing = open_.get((record.pk, name))
        if existing is None:
            fresh.append(
                Conflict(
                    record=record,
                    field=name,
                    system=ctx.source,
                    kept_value=kept,
                    offered_value=offered,
                    run=ctx.run,
                )
            )
        elif existing.offered_value != offered or existing.kept_value != kept:
            existing.offered_value, existing.kept_value, existing.run = offered, kept, ctx.run
            stale.append(existing)
    Conflict.objects.bulk_create(fresh, ignore_conflicts=True)
    Conflict.objects.bulk_update(stale, ["offered_value", "kept_value", "run", "updated_at"])


def _write_quarantine(ctx: RunContext, work: PageWork) -> None:
    if not work.quarantined:
        return
    ids = [q.external_id for q in work.quarantined]
    existing = {
        q.external_id: q
        for q in Quarantined.objects.filter(
            flow=ctx.flow, system=ctx.source, external_id__in=ids, state=QuarantineState.OPEN
        )
    }
    fresh, stale = [], []
    for item in work.quarantined:
        old = existing.get(item.external_id)
        if old is None:
            fresh.append(item)
        else:
            old.payload, old.values, old.errors, old.run, old.page = (
                item.payload,
                item.values,
                item.errors,
                ctx.run,
                item.page,
            )
            stale.append(old)
    Quarantined.objects.bulk_create(fresh, ignore_conflicts=True)
    Quarantined.objects.bulk_update(stale, ["payload", "values", "errors", "run", "page", "updated_at"])
