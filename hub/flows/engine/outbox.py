"""The outbox: which records must go to which target, and delivering them with retries.

A delivery row is written in the same transaction as the record it carries, so nothing is lost between
"stored" and "sent". Its idempotency key is derived from flow, record, target and content (and what the
target last received), so planning the same delivery twice stores it once, and the target can tell a
retried push from a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hub.catalog.models import CrossReference, Record
from hub.flows.engine.context import content_hash
from hub.flows.models import Delivery, DeliveryState

if TYPE_CHECKING:
    from hub.flows.engine.context import RunContext, Target


def idempotency_key(*parts: Any) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def outbound_payload(
    carried: frozenset[str], target: Target, record: Record
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    mapped = target.mapping.apply({k: v for k, v in record.data.items() if k in carried})
    return mapped.values, mapped.errors


def plan_deliveries(ctx: RunContext, records: Iterable[Record]) -> int:
    """Queue a delivery for each record whose mapped content differs from what each target last got."""
    by_id = {r.pk: r for r in records}
    if not by_id or not ctx.targets:
        return 0
    xrefs = {
        (x.record_id, x.system_id): x
        for x in CrossReference.objects.filter(record__in=list(by_id), system__in=list(ctx.targets))
    }
    planned = [
        delivery
        for record in by_id.values()
        for target in ctx.targets.values()
        if (delivery := _plan_one(ctx, target, record, xrefs.get((record.pk, target.system.pk)))) is not None
    ]
    Delivery.objects.bulk_create(planned, ignore_conflicts=True)
    return len(planned)


def _plan_one(
    ctx: RunContext, target: Target, record: Record, xref: CrossReference | None
) -> Delivery | None:
    if xref is None and not ctx.flow.create_in_targets:
        return None  # this flow only updates records the target already has
    payload, errors = outbound_payload(ctx.carried, target, record)
    if errors:
        return _unmappable(ctx, target, record, errors)
    digest = content_hash(payload)
    previous = xref.last_hash if xref is not None else ""
    if digest == previous:
        return None  # the target already has exactly this
    return Delivery(
        flow=ctx.flow,
        run=ctx.run,
        record=record,
        target=target.system,
        idempotency_key=idempotency_key(ctx.flow.pk, record.pk, target.system.pk, digest, previous),
        content_hash=digest,
        payload=payload,
        external_id=xref.external_id if xref is not None else "",
    )


def _unmappable(ctx: RunContext, target: Target, record: Record, errors: dict[str, list[str]]) -> Delivery:
    """A record the outbound mapping cannot express becomes a dead letter at once, never a silent skip."""
    problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    digest = content_hash({"unmappable": errors, "record": record.content_hash})
    return Delivery(
        flow=ctx.flow,
        run=ctx.run,
        record=record,
        target=target.system,
        idempotency_key=idempotency_key(ctx.flow.pk, record.pk, target.system.pk, digest, "unmappable"),
        content_hash=digest,
        payload={},
        state=DeliveryState.DEAD,
        permanent_error=True,
        last_error=f"The outbound mapping to {target.system.name} (version {target.version}) failed: {problems}",
    )
