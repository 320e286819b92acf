"""One page of source records through map, validate, match, merge and the outbox, in one transaction.

Database work is a fixed number of queries per page, whatever the page size: every read is an ``__in``
lookup for the whole page, every write a bulk statement (``engine.bulk``).

A record the source sends exactly as last time (same raw content, and the same mappings, schema, sources
of truth and fields carried: the run's ``salt``) is recognised by its cross-reference's fingerprint and
recorded as unchanged without being mapped, validated, merged or planned again. Records that ended in a
conflict keep no fingerprint, so they are looked at again every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.base import UNREADABLE
from hub.catalog.merging import merge_values
from hub.catalog.models import Conflict, ConflictState, CrossReference, Record
from hub.catalog.schema import clean_record, natural_key
from hub.flows.engine import bulk
from hub.flows.engine.context import RunContext, content_hash
from hub.flows.engine.outbox import plan_deliveries
from hub.flows.engine.provisional import reconcile, typed_values, write_reconciled
from hub.flows.models import Outcome, Quarantined, QuarantineState, RecordOutcome
from hub.mappings.paths import MISSING, get_path

DUPLICATE = "(same record twice)"


@dataclass(slots=True)
class Incoming:
    external_id: str
    raw: dict[str, Any]
    values: dict[str, Any]
    key: str | None
    fingerprint: str  # of the raw record and the run's salt; "" for a person's correction
    provenance: dict[str, Any] | None = None  # more to say of its values' origin (a manual entry's typist)


@dataclass(slots=True)
class Known:
    """A source cross-reference found for an incoming id."""

    pk: int
    record_id: int
    fingerprint: str


@dataclass(slots=True)
class Result:
    """One record's outcome in this page (written as a RecordOutcome row)."""

    external_id: str
    outcome: str
    record: Record | None
    reason: str = ""
    record_id: int | None = None


@dataclass
class PageWork:
    """What one page will write; filled in memory, then written in bulk."""

    number: int
    outcomes: list[Result] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    new_records: list[Record] = field(default_factory=list)
    changed_records: dict[int, Record] = field(default_factory=dict)
    touched: list[Record] = field(default_factory=list)
    new_xrefs: list[tuple[Record, str, str]] = field(default_factory=list)
    fingerprints: dict[int, str] = field(default_factory=dict)  # source xref pk -> new fingerprint
    conflicts: list[tuple[Record, str, Any, Any]] = field(default_factory=list)
    cursor: str = ""
    no_id_names: set[str] = field(default_factory=set)
    applied: list[int] = field(default_factory=list)  # corrections (Quarantined pks) this page applied
    # Manual entries whose record the authoritative source sent now: entry id -> the source's id for it,
    # and the typed values that differ from the source's, as (record, field, kept, typed, manual system id).
    reconciled: dict[int, str] = field(default_factory=dict)
    # Records whose natural-key fields changed, with their values before: the stored key follows, or the
    # change is undone when another record holds the new key (see _write_keys).
    rekeyed: dict[int, tuple[Record, dict[str, Any], dict[str, Any]]] = field(default_factory=dict)
    typed_differences: list[tuple[Record, str, Any, Any, int]] = field(default_factory=list)


def external_id_of(ctx: RunContext, raw: dict[str, Any]) -> str | None:
    value = get_path(raw, ctx.id_path)
    if value is MISSING or value is None or value == "":
        return None
    return str(value)


def _key_text(ctx: RunContext, values: dict[str, Any]) -> str | None:
    key = natural_key(ctx.schema, values)
    return None if key is None else "|".join(str(part) for part in key)


def fingerprint(ctx: RunContext, raw: dict[str, Any]) -> str:
    return content_hash([ctx.salt, raw])


def _prepare(
    ctx: RunContext, work: PageWork, raw: dict[str, Any], external_id: str | None, print_: str
) -> Incoming | None:
    """Map and validate one record; quarantine it (and return None) when it does not fit."""
    mapped = ctx.inbound.apply(raw)
    checked = clean_record(ctx.schema, mapped.values)
    errors = {**checked.errors, **mapped.errors}
    if external_id is None:
        errors["(id)"] = [f"The record has no id at '{ctx.id_path}', so it cannot be matched."]
    if isinstance(raw.get(UNREADABLE), str):  # the connector could not read it: its reason comes first
        errors = {"(record)": [raw[UNREADABLE]], **errors}
    if errors:
        _quarantine(ctx, work, raw, external_id or _no_id_name(work, print_), checked.values, errors)
        return None
    values = {k: v for k, v in checked.values.items() if k in ctx.carried or k in ctx.key_fields}
    return Incoming(str(external_id), raw, values, _key_text(ctx, values), print_)


def _no_id_name(work: PageWork, print_: str) -> str:
    """A name for a record without an id: from its content, so the same broken record keeps one
    quarantine entry across pages and runs, and two different ones never share a name."""
    name, n = f"(no id) {print_[:12]}", 1
    while name in work.no_id_names:
        n += 1
        name = f"(no id) {print_[:12]} #{n}"
    work.no_id_names.add(name)
    return name


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
) -> Result:
    return Result(external_id, outcome, record, reason)


def process_page(ctx: RunContext, number: int, records: list[dict[str, Any]]) -> PageWork:
    work = PageWork(number=number)
    identified = [(raw, external_id_of(ctx, raw)) for raw in records]
    known = _known(ctx, [external_id for _, external_id in identified if external_id is not None])
    incoming = []
    for raw, external_id in identified:
        print_ = fingerprint(ctx, raw)
        if external_id is not None and (found := known.get(external_id)) and found.fingerprint == print_:
            work.outcomes.append(Result(external_id, Outcome.UNCHANGED, None, "", found.record_id))
            continue
        item = _corrected(ctx, work, raw, external_id, print_) or _prepare(
            ctx, work, raw, external_id, print_
        )
        if item is not None:
            incoming.append(item)
    work = process_items(ctx, work, incoming, known)
    if work.applied:
        Quarantined.objects.filter(pk__in=work.applied).update(
            state=QuarantineState.APPLIED, run=ctx.run, updated_at=timezone.now()
        )
    return work


def _corrected(
    ctx: RunContext, work: PageWork, raw: dict[str, Any], external_id: str | None, print_: str
) -> Incoming | None:
    """The source sent again exactly the record a person corrected: the correction takes its place."""
    waiting = ctx.corrections.get(external_id) if external_id is not None else None
    if waiting is None or fingerprint(ctx, waiting.payload) != print_:
        return None
    del ctx.corrections[waiting.external_id]
    work.applied.append(waiting.pk)
    return corrected_item(ctx, waiting.external_id, waiting.payload, waiting.values)


def _known(ctx: RunContext, ids: list[str]) -> dict[str, Known]:
    # The exclude repeats the unique index's condition, so that SQLite uses that index, not a scan.
    rows = (
        bulk.among(
            CrossReference.objects.filter(system=ctx.source, entity=ctx.flow.entity), "external_id", ids
        )
        .exclude(external_id="")
        .values_list("external_id", "pk", "record_id", "last_hash")
    )
    return {external_id: Known(pk, record_id, last) for external_id, pk, record_id, last in rows}


def corrected_item(
    ctx: RunContext, external_id: str, payload: dict[str, Any], values: dict[str, Any]
) -> Incoming:
    """A quarantined record a person corrected: its values are already canonical, no mapping needed.

    Its fingerprint is that of the payload the source sent: when the source sends the same (broken)
    record again, it is recognised as the one a person already corrected, not quarantined again."""
    kept = {k: v for k, v in values.items() if k in ctx.carried or k in ctx.key_fields}
    return Incoming(external_id, payload, kept, _key_text(ctx, kept), fingerprint(ctx, payload))


def process_items(
    ctx: RunContext, work: PageWork, incoming: list[Incoming], known: dict[str, Known] | None = None
) -> PageWork:
    if known is None:
        known = _known(ctx, [item.external_id for item in incoming])
    with transaction.atomic():
        _match_and_merge(ctx, work, incoming, known)
        _write(ctx, work)
        plan_deliveries(ctx, work.touched)
    return work


def _ident(record: Record) -> int:
    """A record's identity within a page: its id once saved, the object itself before."""
    return record.pk or -id(record)


def _match_and_merge(
    ctx: RunContext, work: PageWork, incoming: list[Incoming], known: dict[str, Known]
) -> None:
    by_xref, by_key, seen_from_source = _lookup(ctx, incoming, known)
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
        clean = _merge_one(ctx, work, item, record, is_new, {**stamp, **(item.provenance or {})})
        seen_from_source.add(_ident(record))
        print_ = item.fingerprint if clean else ""  # a conflict is looked at again next time
        if matched_by_key:
            work.new_xrefs.append((record, item.external_id, print_))
        elif (xref := known.get(item.external_id)) is not None and xref.fingerprint != print_:
            work.fingerprints[xref.pk] = print_
        _advance_cursor(ctx, work, item)


def _advance_cursor(ctx: RunContext, work: PageWork, item: Incoming) -> None:
    if ctx.flow.cursor_field:
        work.cursor = later_cursor(work.cursor, item.values.get(ctx.flow.cursor_field))


def later_cursor(current: str, value: Any) -> str:
    """The later of a saved changed-at position and a record's value: text (ISO times) compares as text,
    numbers as numbers (so that 10 comes after 9)."""
    if isinstance(value, bool) or value is None or value == "":
        return current
    if isinstance(value, int | float):
        try:
            return str(value) if not current or value > float(current) else current
        except ValueError:
            return str(value)  # the saved position was text; the field now holds numbers
    text = str(value)
    return text if text > current else current


def _lookup(
    ctx: RunContext, incoming: list[Incoming], known: dict[str, Known]
) -> tuple[dict[str, Record], dict[str, Record], set[int]]:
    wanted = {known[item.external_id].record_id for item in incoming if item.external_id in known}
    records = Record.objects.in_bulk(list(wanted)) if wanted else {}
    by_xref = {
        item.external_id: records[known[item.external_id].record_id]
        for item in incoming
        if item.external_id in known and known[item.external_id].record_id in records
    }
    keys = {item.key for item in incoming if item.key is not None and item.external_id not in by_xref}
    by_key = {
        r.natural_key: r
        for r in bulk.among(Record.objects.filter(entity=ctx.flow.entity), "natural_key", keys)
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
) -> bool:
    """Merge one record into the canonical one; False when it ended in a conflict."""
    typed = {} if is_new or ctx.provisional else typed_values(record)
    data_before, provenance_before = record.data, record.provenance
    merged = merge_values(
        data=record.data, provenance=record.provenance, incoming=item.values, source_id=ctx.source.pk,
        owner_of=ctx.owner_of, stamp=stamp, replace_own=ctx.provisional,
    )  # fmt: skip
    if typed:
        reconcile(ctx, work, item, record, typed, merged, stamp)
    record.data, record.provenance = merged.data, merged.provenance
    if merged.changed or is_new:
        record.content_hash = content_hash(record.data)
        record.updated_at = timezone.now()  # bulk_update does not apply auto_now
        if not is_new and record.pk:
            work.changed_records[record.pk] = record
            if ctx.key_fields.intersection(merged.changed):
                work.rekeyed[record.pk] = (record, dict(data_before), dict(provenance_before))
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
    return not merged.conflicts


def _write(ctx: RunContext, work: PageWork) -> None:
    entity_id, source_id, now = ctx.flow.entity_id, ctx.source.pk, timezone.now()
    _write_keys(ctx, work)
    if work.new_records:
        pks = bulk.insert(
            Record,
            ["entity", "data", "provenance", "natural_key", "content_hash", "created_at", "updated_at"],
            [(entity_id, r.data, r.provenance, r.natural_key, r.content_hash, now, now) for r in work.new_records],
            returning_pk=True,
        )  # fmt: skip
        for record, pk in zip(work.new_records, pks, strict=True):
            record.pk = pk
    if work.changed_records:
        bulk.update(
            Record,
            ["data", "provenance", "content_hash", "updated_at"],
            [(r.pk, r.data, r.provenance, r.content_hash, now) for r in work.changed_records.values()],
        )
    if work.new_xrefs:
        bulk.insert(
            CrossReference,
            ["record", "entity", "system", "external_id", "last_hash", "updated_at"],
            [(r.pk, entity_id, source_id, ext, h, now) for r, ext, h in work.new_xrefs],
            ignore_conflicts=True,
        )
    if work.fingerprints:
        bulk.update(
            CrossReference, ["last_hash", "updated_at"], [(pk, h, now) for pk, h in work.fingerprints.items()]
        )
    _write_conflicts(ctx, work)
    write_reconciled(ctx, work)
    _write_quarantine(ctx, work)
    bulk.insert(
        RecordOutcome,
        ["run", "system", "external_id", "page", "outcome", "record", "reason"],
        [
            (ctx.run.pk, source_id, o.external_id, work.number, o.outcome,
             o.record.pk if o.record is not None else o.record_id, o.reason)
            for o in work.outcomes
        ],
        ignore_conflicts=True,
    )  # fmt: skip


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


def _write_keys(ctx: RunContext, work: PageWork) -> None:
    """A record whose identifying values changed is found by its new key from now on. When another record
    already holds that key, the identifying values are not changed and a person is asked (a conflict):
    two records are never made one silently. Runs before the records are written."""
    wanted = {}
    for pk, (record, _, _) in work.rekeyed.items():
        key = _key_text(ctx, record.data)
        if key != record.natural_key:
            wanted[pk] = key
    if not wanted:
        return
    taken = set(
        bulk.among(
            Record.objects.filter(entity=ctx.flow.entity), "natural_key", [k for k in wanted.values() if k]
        )
        .exclude(pk__in=list(wanted))
        .values_list("natural_key", flat=True)
    )
    seen: set[str] = set()
    for pk, key in wanted.items():
        record, data_before, provenance_before = work.rekeyed[pk]
        if key is not None and (key in taken or key in seen):
            work.conflicts.append((record, DUPLICATE, record.natural_key, key))
            for name in ctx.key_fields:
                record.data[name] = data_before.get(name)
                if name in provenance_before:
                    record.provenance[name] = provenance_before[name]
            record.content_hash = content_hash(record.data)
            continue
        if key is not None:
            seen.add(key)
        Record.objects.filter(pk=pk).update(natural_key=key)
        record.natural_key = key


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
