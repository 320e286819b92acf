"""The outbox: which records must go to which target, and delivering them with retries.

A delivery row is written in the same transaction as the record it carries, so nothing is lost between
"stored" and "sent". Its idempotency key is derived from flow, record, target and content (and what the
target last received), so planning the same delivery twice stores it once, and the target can tell a
retried push from a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from hub.catalog.models import CrossReference, Record
from hub.flows.engine import bulk
from hub.flows.engine.context import content_hash
from hub.flows.models import Delivery, DeliveryState

if TYPE_CHECKING:
    from hub.flows.engine.context import Target
    from hub.flows.models import Flow, Run


class Planning(Protocol):
    """What planning needs: a run's context, or a flow outside any run (a person changed a record)."""

    @property
    def flow(self) -> Flow: ...
    @property
    def run(self) -> Run | None: ...
    @property
    def targets(self) -> dict[int, Target]: ...
    @property
    def carried(self) -> frozenset[str]: ...


def idempotency_key(*parts: Any) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def outbound_payload(
    carried: frozenset[str], target: Target, record: Record
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    mapped = target.mapping.apply({k: v for k, v in record.data.items() if k in carried})
    return mapped.values, mapped.errors


PLANNED = [
    "flow", "run", "record", "target", "idempotency_key", "content_hash", "payload", "external_id", "state",
    "permanent_error", "last_error",
]  # fmt: skip


def plan_deliveries(ctx: Planning, records: Iterable[Record]) -> int:
    """Queue a delivery for each record whose mapped content differs from what each target will hold: the
    content of the newest delivery still waiting for it, or else what it last received."""
    by_id = {r.pk: r for r in records}
    if not by_id or not ctx.targets:
        return 0
    xrefs = {
        (record_id, system_id): (external_id, last_hash)
        for record_id, system_id, external_id, last_hash in bulk.among(
            CrossReference.objects.filter(system__in=list(ctx.targets)), "record", list(by_id)
        ).values_list("record_id", "system_id", "external_id", "last_hash")
    }
    waiting = _waiting(list(by_id), list(ctx.targets))
    planned = [
        row
        for record in by_id.values()
        for target in ctx.targets.values()
        if (
            row := _plan_one(
                ctx,
                target,
                record,
                xrefs.get((record.pk, target.system.pk)),
                waiting.get((record.pk, target.system.pk)),
            )
        )
        is not None
    ]
    if planned:
        bulk.insert(Delivery, PLANNED, planned, ignore_conflicts=True)
    return len(planned)


def _waiting(record_ids: list[int], target_ids: list[int]) -> dict[tuple[int, int], tuple[int, str]]:
    """The newest delivery still waiting per record and target (in any flow): (its id, its content)."""
    found: dict[tuple[int, int], tuple[int, str]] = {}
    # By record only (index delivery_order: a few rows per record); state and target are picked here, as a
    # condition on them would lead SQLite to their indexes, whose rows grow with every delivery ever made
    # (or, during an outage, with every delivery waiting).
    rows = bulk.among(Delivery.objects.order_by(), "record", record_ids).values_list(
        "record_id", "target_id", "pk", "content_hash", "state"
    )
    targets = set(target_ids)
    for record_id, target_id, pk, digest, state in rows:
        if target_id not in targets or state != DeliveryState.PENDING:
            continue
        newest = found.get((record_id, target_id))
        if newest is None or pk > newest[0]:
            found[(record_id, target_id)] = (pk, digest)
    return found


def _plan_one(
    ctx: Planning,
    target: Target,
    record: Record,
    xref: tuple[str, str] | None,
    waiting: tuple[int, str] | None = None,
) -> tuple[Any, ...] | None:
    if xref is None and not ctx.flow.create_in_targets:
        return None  # this flow only updates records the target already has
    payload, errors = outbound_payload(ctx.carried, target, record)
    if errors:
        return _unmappable(ctx, target, record, errors)
    digest = content_hash(payload)
    external_id, previous = xref if xref is not None else ("", "")
    if waiting is not None:
        # What the target will hold is what waits for it: the same content is not queued again, and
        # other content (even content the target had before) goes after it, under a key of its own.
        if digest == waiting[1]:
            return None
        previous = f"after delivery {waiting[0]}"
    elif digest == previous:
        return None  # the target already has exactly this
    key = idempotency_key(ctx.flow.pk, record.pk, target.system.pk, digest, previous)
    return (
        ctx.flow.pk, _run_id(ctx), record.pk, target.system.pk, key, digest, payload, external_id,
        DeliveryState.PENDING, False, "",
    )  # fmt: skip


def _unmappable(
    ctx: Planning, target: Target, record: Record, errors: dict[str, list[str]]
) -> tuple[Any, ...]:
    """A record the outbound mapping cannot express becomes a dead letter at once, never a silent skip."""
    problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
    digest = content_hash({"unmappable": errors, "record": record.content_hash})
    key = idempotency_key(ctx.flow.pk, record.pk, target.system.pk, digest, "unmappable")
    error = f"The outbound mapping to {target.system.name} (version {target.version}) failed: {problems}"
    return (
        ctx.flow.pk, _run_id(ctx), record.pk, target.system.pk, key, digest, {}, "", DeliveryState.DEAD, True,
        error,
    )  # fmt: skip


def _run_id(ctx: Planning) -> int | None:
    return ctx.run.pk if ctx.run is not None else None
