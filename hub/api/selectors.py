"""Reads for the API, always through a key's scopes: what it may see is all a query returns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from hub.api.models import ApiKey, EntityGrant, FlowGrant, PartnerBatch
from hub.catalog.models import Entity, Record
from hub.flows.models import (
    DeadLetter,
    Delivery,
    DeliveryState,
    Flow,
    InboundBatch,
    InboundState,
    Outcome,
    Quarantined,
    RecordOutcome,
    RunState,
    Trigger,
)
from hub.mappings.models import Direction, Mapping
from hub.mappings.paths import MISSING, get_path


class RecordStatus(models.TextChoices):
    WAITING = "waiting", "Stored; not processed or not delivered yet"
    DELIVERED = "delivered", "Processed; every target holds it (or had nothing new to receive)"
    QUARANTINED = "quarantined", "Refused by validation: see errors"
    CONFLICT = "conflict", "Held for a person: it disagrees with the record the hub holds"
    DEAD_LETTERED = "dead_lettered", "Could not be delivered after its retries: a person will replay it"
    DISCARDED = "discarded", "Not delivered: a person decided so"
    UNKNOWN = "unknown", "The run finished without an outcome for it (see the reason)"


# Scopes ------------------------------------------------------------------------------------------------


def entity_grant(key: ApiKey, entity: Entity) -> EntityGrant | None:
    return EntityGrant.objects.filter(key=key, entity=entity).prefetch_related("fields").first()


def readable_fields(grant: EntityGrant) -> list[str]:
    chosen = [f.name for f in grant.fields.all()]
    return chosen or list(grant.entity.fields.order_by("position", "pk").values_list("name", flat=True))


def readable_entities(key: ApiKey) -> QuerySet[EntityGrant]:
    return (
        EntityGrant.objects.filter(key=key, can_read=True)
        .select_related("entity")
        .prefetch_related("fields", "entity__fields")
    )


def key_flows(key: ApiKey) -> QuerySet[Flow]:
    """The flows a key may push into (API push flows of entities it may push) or start."""
    writable = EntityGrant.objects.filter(key=key, can_write=True).values("entity_id")
    granted = FlowGrant.objects.filter(key=key, flow=OuterRef("pk"))
    return (
        Flow.objects.filter(Q(trigger=Trigger.API_PUSH, entity_id__in=writable) | Q(Exists(granted)))
        .annotate(
            may_start=Exists(granted),
            may_push=ExpressionWrapper(
                Q(trigger=Trigger.API_PUSH, entity_id__in=writable), output_field=models.BooleanField()
            ),
        )
        .select_related("entity")
        .order_by("name")
    )


def key_dead_letters(key: ApiKey) -> QuerySet[DeadLetter]:
    """Dead letters of records that came in through this partner's own pushes, in flows of the key (push or
    start) whose entity it may read: another partner's records, or an entity it may not read, stay unseen."""
    readable = EntityGrant.objects.filter(key=key, can_read=True).values("entity_id")
    flows = key_flows(key).filter(entity_id__in=readable).values("pk")
    pushed_page = InboundBatch.objects.filter(
        partner_push__partner_id=key.partner_id, run_id=OuterRef("run_id"), page=OuterRef("page")
    )
    pushed_records = RecordOutcome.objects.filter(Exists(pushed_page), record_id__isnull=False).values(
        "record_id"
    )
    return (
        DeadLetter.objects.filter(flow_id__in=flows, record_id__in=pushed_records)
        .select_related("flow", "target", "record__entity")
        .defer("payload", "record__data", "record__provenance")
        .order_by("-pk")
    )


def partner_batch(key: ApiKey, batch_id: int) -> PartnerBatch | None:
    """A batch of the key's partner; another partner's batch is, for this key, not there at all."""
    return (
        PartnerBatch.objects.filter(partner_id=key.partner_id, batch_id=batch_id)
        .select_related("batch__flow__source", "batch__flow__entity", "batch__run")
        .first()
    )


def entity_records(entity: Entity) -> QuerySet[Record]:
    return Record.objects.filter(entity=entity)


def visible_record(record: Record, names: list[str]) -> dict[str, Any]:
    """Only the fields the key may read, each with where its value came from and when."""
    provenance = record.provenance or {}
    values = {name: record.data[name] for name in names if name in record.data}
    return {
        "id": record.pk,
        "updated_at": record.updated_at,
        "data": values,
        "provenance": {
            name: {"system": stamp.get("system"), "at": stamp.get("at")}
            for name in values
            if isinstance(stamp := provenance.get(name), dict)
        },
    }


# Batch status ------------------------------------------------------------------------------------------


@dataclass
class RecordReport:
    index: int
    id: str
    status: str
    outcome: str = ""
    reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    record_id: int | None = None


def flow_id_path(flow: Flow) -> str:
    """Where a pushed record's own id is, the way the engine reads it (run_context)."""
    mapping = Mapping.objects.filter(
        system=flow.source, entity=flow.entity, direction=Direction.INBOUND
    ).first()
    return (mapping.id_path if mapping else "") or str(flow.source.params.get("push_id_path") or "id")


def external_id(record: dict[str, Any], id_path: str) -> str | None:
    value = get_path(record, id_path)
    return None if value is MISSING or value is None or value == "" else str(value)


def partner_namespace(partner_id: int) -> str:
    """Pushed ids are stored as ``p<partner id>:<id>``: two partners sharing a flow never share an id."""
    return f"p{partner_id}:"


def partner_own_id(stored: str, partner_id: int) -> str:
    prefix = partner_namespace(partner_id)
    return stored[len(prefix) :] if stored.startswith(prefix) else stored


def batch_report(pushed: PartnerBatch) -> dict[str, Any]:
    batch = pushed.batch
    flow = batch.flow
    id_path = flow_id_path(flow)
    stored = [external_id(raw, id_path) or "" for raw in batch.records]
    processed = batch.state == InboundState.PROCESSED and batch.run is not None
    reports = [
        RecordReport(index=i, id=partner_own_id(ext, pushed.partner_id), status=RecordStatus.WAITING)
        for i, ext in enumerate(stored)
    ]
    if processed and batch.run_id is not None:
        _fill_reports(reports, stored, flow, batch.run_id, batch.page)
    run_active = batch.run is not None and batch.run.state in (RunState.QUEUED, RunState.RUNNING)
    counts = Counter(r.status for r in reports)
    return {
        "id": batch.pk,
        "flow": flow.pk,
        "flow_name": flow.name,
        "entity": flow.entity.name,
        "received_at": batch.received_at,
        "record_count": batch.record_count,
        "state": "processing" if (not processed or run_active) else "processed",
        "run": batch.run_id,
        "counts": {status.value: counts.get(status.value, 0) for status in RecordStatus},
        "records": [report.__dict__ for report in reports],
    }


def _fill_reports(
    reports: list[RecordReport], stored: list[str], flow: Flow, run_id: int, page: int | None
) -> None:
    """The outcomes of this batch's own page of its run: another batch of the same run (another partner's,
    or the same partner's with the same ids) has a page of its own and is never shown here."""
    ids = set(stored)
    outcome_rows = RecordOutcome.objects.filter(run_id=run_id, system_id=flow.source_id, external_id__in=ids)
    quarantine_rows = Quarantined.objects.filter(run_id=run_id, flow=flow, external_id__in=ids)
    if page is not None:  # None: processed before batches recorded their page
        outcome_rows, quarantine_rows = outcome_rows.filter(page=page), quarantine_rows.filter(page=page)
    outcomes = {o.external_id: o for o in outcome_rows}
    errors = dict(quarantine_rows.values_list("external_id", "errors"))
    states = _delivery_states(flow, run_id, [o.record_id for o in outcomes.values() if o.record_id])
    for report, ident in zip(reports, stored, strict=True):
        outcome = outcomes.get(ident)
        if outcome is None:
            report.status, report.reason = RecordStatus.UNKNOWN, "The run recorded no outcome for this id."
            continue
        report.outcome, report.reason, report.record_id = outcome.outcome, outcome.reason, outcome.record_id
        report.status = _status(outcome, states.get(outcome.record_id or 0, set()))
        if report.status == RecordStatus.QUARANTINED:
            report.errors = {str(k): [str(m) for m in v] for k, v in (errors.get(ident) or {}).items()}


def _delivery_states(flow: Flow, run_id: int, record_ids: list[int]) -> dict[int, set[str]]:
    states: dict[int, set[str]] = {}
    rows = Delivery.objects.filter(flow=flow, run_id=run_id, record_id__in=record_ids).values_list(
        "record_id", "state"
    )
    for record_id, state in rows:
        states.setdefault(record_id, set()).add(state)
    return states


def _status(outcome: RecordOutcome, deliveries: set[str]) -> str:
    if outcome.outcome == Outcome.QUARANTINED:
        return RecordStatus.QUARANTINED
    if outcome.outcome == Outcome.CONFLICT:
        return RecordStatus.CONFLICT
    if DeliveryState.DEAD in deliveries:
        return RecordStatus.DEAD_LETTERED
    if DeliveryState.PENDING in deliveries:
        return RecordStatus.WAITING
    if DeliveryState.DISCARDED in deliveries:
        return RecordStatus.DISCARDED
    return RecordStatus.DELIVERED
