"""The outbox outside runs: deliveries left pending by a run, replays, and dead letters."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from hub.audit.services import Actor, actor_user
from hub.catalog.models import Record
from hub.catalog.selectors import entity_schema
from hub.flows.engine.context import RunSetupError, Target, content_hash
from hub.flows.engine.delivering import deliver_due
from hub.flows.engine.outbox import idempotency_key, outbound_payload, plan_deliveries
from hub.flows.jobs import enqueue
from hub.flows.models import Delivery, DeliveryState, Flow, FlowState, Run
from hub.mappings.models import Direction, Mapping
from hub.mappings.services import rules_from_data
from hub.mappings.transforms import compile_rules


def flow_targets(flow: Flow) -> dict[int, Target]:
    targets = {}
    for system in flow.targets.all():
        mapping = Mapping.objects.filter(
            system=system, entity=flow.entity, direction=Direction.OUTBOUND
        ).first()
        version = mapping.versions.order_by("-number").first() if mapping else None
        if mapping is None or version is None:
            continue  # its deliveries fail with "no longer a target" and become dead letters to look at
        compiled = compile_rules(rules_from_data(version.rules))
        targets[system.pk] = Target(system, compiled, version.number, mapping.resource or None)
    return targets


def outbox_deliver(*, flow_id: int, rounds: int = 20) -> int:
    """Push what is due for a flow, a few rounds at most; returns how many deliveries were attempted."""
    flow = Flow.objects.select_related("entity").get(pk=flow_id)
    targets = flow_targets(flow)
    attempted = 0
    try:
        for _ in range(rounds):
            count = deliver_due(flow=flow, targets=targets, reason=f"outbox of flow {flow.name}")
            attempted += count
            if count == 0:
                break
    finally:
        for target in targets.values():
            if target._connector is not None:
                target._connector.close()
    return attempted


@dataclass(frozen=True)
class _Planning:
    flow: Flow
    targets: dict[int, Target]
    carried: frozenset[str]
    run: Run | None = None


def record_changed_deliver(*, record: Record) -> int:
    """A person changed a canonical record (accepted a conflict): queue it for the targets of every active
    flow of its entity that do not hold this content yet, and wake the outbox. Returns how many."""
    planned = 0
    for flow in Flow.objects.filter(entity_id=record.entity_id, state=FlowState.ACTIVE).select_related(
        "entity"
    ):
        targets = flow_targets(flow)
        if not targets:
            continue
        count = plan_deliveries(_Planning(flow, targets, carried_fields(flow)), [record])
        if count:
            transaction.on_commit(functools.partial(enqueue, "hub.flows.jobs.deliver_flow", flow.pk))
        planned += count
    return planned


def carried_fields(flow: Flow) -> frozenset[str]:
    names = frozenset(flow.fields.values_list("name", flat=True))
    return names or frozenset(f.name for f in entity_schema(flow.entity).fields)


@transaction.atomic
def dead_letter_replay(*, delivery: Delivery, actor: Actor = None, by: str | None = None) -> Delivery:
    """Send a dead letter again, mapped with the current published mapping; the tick delivers it.

    Only a delivery that is still dead changes (a conditional update): two replays at once, or a replay of a
    stale copy, send it once. ``by`` names who replayed it when that is not a user (an API key)."""
    if delivery.state != DeliveryState.DEAD:
        return delivery
    flow = delivery.flow
    target = flow_targets(flow).get(delivery.target_id)
    if target is None:
        raise RunSetupError(
            f"{delivery.target.name} is no longer a target of {flow.name} with a published mapping."
        )
    payload, errors = outbound_payload(carried_fields(flow), target, delivery.record)
    if errors:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        raise RunSetupError(f"The outbound mapping still fails for this record: {problems}")
    digest = content_hash(payload)
    changes: dict[str, object] = {}
    if digest != delivery.content_hash:  # new content: a new key, so the target does not take it for the old
        changes["idempotency_key"] = idempotency_key(
            flow.pk, delivery.record_id, delivery.target_id, digest, "replay"
        )
        changes["payload"], changes["content_hash"] = payload, digest
    now = timezone.now()
    who = by or getattr(actor_user(actor), "username", "the system")
    changes.update(
        state=DeliveryState.PENDING, attempts=0, permanent_error=False, next_attempt_at=None, last_error="",
        discard_reason=f"replayed by {who} at {now:%Y-%m-%d %H:%M}"[:300], updated_at=now,
    )  # fmt: skip
    if not Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(**changes):
        delivery.refresh_from_db()  # replayed (or changed) by someone else meanwhile: as it is now
        return delivery
    for name, value in changes.items():
        setattr(delivery, name, value)
    return delivery


def dead_letter_discard(*, delivery: Delivery, reason: str, actor: Actor = None) -> None:
    if not reason.strip():
        raise ValueError("Say why this dead letter is discarded: the reason stays in the record's history.")
    who = getattr(actor_user(actor), "username", "the system")
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
        state=DeliveryState.DISCARDED,
        discard_reason=f"{reason.strip()} (by {who})",
        updated_at=timezone.now(),
    )
