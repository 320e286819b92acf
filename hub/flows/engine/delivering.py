"""Pushing due deliveries: claimed atomically, pushed per target in batches, every attempt recorded.

The transport only reports; this module decides: a permanent error is not retried, a transient one is
retried with exponential backoff and jitter (or after the target's Retry-After), and the last failure
turns the delivery into a dead letter.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from connectors.base import ConnectorError, OutgoingRecord, PushOutcome, RateLimitedError
from hub.catalog.models import CrossReference
from hub.flows.engine.context import Target
from hub.flows.models import Delivery, DeliveryAttempt, DeliveryState, Flow, Run

LEASE = timedelta(minutes=10)  # a claim older than this is free again (its worker died)
BATCH = 500
MAX_BACKOFF = 3600.0


def backoff_seconds(flow: Flow, attempts: int) -> float:
    base = flow.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return float(min(MAX_BACKOFF, base * random.uniform(0.8, 1.2)))


def due(flow: Flow, now: datetime, run: Run | None = None) -> QuerySet[Delivery]:
    found = Delivery.objects.filter(flow=flow, state=DeliveryState.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return found.filter(run=run) if run is not None else found


def claim(flow: Flow, *, limit: int, run: Run | None = None) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this worker alone (a conditional update, checked)."""
    now, token = timezone.now(), uuid.uuid4().hex
    ids = list(due(flow, now, run).order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    due(flow, now).filter(pk__in=ids).update(claim_token=token, next_attempt_at=now + LEASE)
    return list(Delivery.objects.filter(claim_token=token).select_related("record", "target").order_by("pk"))


def deliver_due(*, flow: Flow, targets: dict[int, Target], reason: str, run: Run | None = None) -> int:
    """Push what is due for this flow (or run) once; returns how many deliveries were attempted."""
    claimed = claim(flow, limit=BATCH * max(len(targets), 1), run=run)
    groups: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in claimed:
        groups[delivery.target_id].append(delivery)
    for target_id, deliveries in groups.items():
        target = targets.get(target_id)
        for start in range(0, len(deliveries), BATCH):
            _push(flow, target, deliveries[start : start + BATCH], reason)
    return len(claimed)


def _push(flow: Flow, target: Target | None, deliveries: Sequence[Delivery], reason: str) -> None:
    started = time.monotonic()
    if target is None:
        error = ConnectorError("This system is no longer a target of the flow.", permanent=True)
        outcomes = [PushOutcome(d.idempotency_key, ok=False, error=error) for d in deliveries]
    else:
        outcomes = _call(target, deliveries, reason)
    each_ms = (time.monotonic() - started) * 1000 / max(len(deliveries), 1)
    _record(flow, deliveries, outcomes, each_ms)


def _call(target: Target, deliveries: Sequence[Delivery], reason: str) -> list[PushOutcome]:
    batch = [OutgoingRecord(d.idempotency_key, d.payload, d.external_id or None) for d in deliveries]
    try:
        outcomes = target.connector(reason).push(batch, resource=target.resource)
    except ConnectorError as error:
        outcomes = [PushOutcome(d.idempotency_key, ok=False, error=error) for d in deliveries]
    by_key = {o.idempotency_key: o for o in outcomes}
    missing = ConnectorError("The connector gave no outcome for this record.", permanent=False)
    return [
        by_key.get(d.idempotency_key, PushOutcome(d.idempotency_key, ok=False, error=missing))
        for d in deliveries
    ]


def _record(
    flow: Flow, deliveries: Sequence[Delivery], outcomes: Sequence[PushOutcome], each_ms: float
) -> None:
    now = timezone.now()
    attempts = []
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        delivery.attempts += 1
        delivery.claim_token = ""
        delivery.updated_at = now
        attempts.append(_attempt(delivery, outcome, now, each_ms))
        if outcome.ok:
            _delivered(delivery, outcome, now)
        else:
            _failed(flow, delivery, outcome.error, now)
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(attempts)
        Delivery.objects.bulk_update(
            list(deliveries),
            ["attempts", "claim_token", "state", "next_attempt_at", "last_error", "permanent_error",
             "delivered_at", "external_id", "updated_at"],
        )  # fmt: skip
        _remember(flow, [d for d in deliveries if d.state == DeliveryState.DELIVERED])


def _attempt(delivery: Delivery, outcome: PushOutcome, now: datetime, each_ms: float) -> DeliveryAttempt:
    error = outcome.error
    return DeliveryAttempt(
        delivery=delivery,
        at=now,
        ok=outcome.ok,
        error="" if error is None else str(error)[:2000],
        permanent=bool(error is not None and error.permanent),
        status_code=None if error is None else error.status_code,
        duration_ms=each_ms,
    )


def _delivered(delivery: Delivery, outcome: PushOutcome, now: datetime) -> None:
    delivery.state = DeliveryState.DELIVERED
    delivery.delivered_at = now
    delivery.next_attempt_at = None
    delivery.last_error = ""
    delivery.external_id = outcome.external_id or delivery.external_id


def _failed(flow: Flow, delivery: Delivery, error: ConnectorError | None, now: datetime) -> None:
    error = error or ConnectorError("The push failed without a reason.")
    delivery.last_error = str(error)[:2000]
    delivery.permanent_error = error.permanent
    if error.permanent or delivery.attempts >= flow.max_attempts:
        delivery.state = DeliveryState.DEAD
        delivery.next_attempt_at = None
        return
    wait = backoff_seconds(flow, delivery.attempts)
    if isinstance(error, RateLimitedError) and error.retry_after:
        wait = max(wait, float(error.retry_after))
    delivery.next_attempt_at = now + timedelta(seconds=wait)


def _remember(flow: Flow, delivered: Sequence[Delivery]) -> None:
    """Cross-references: which id the target gave the record, and what content it now holds."""
    if not delivered:
        return
    target_ids = {d.target_id for d in delivered}
    existing = {
        (x.record_id, x.system_id): x
        for x in CrossReference.objects.filter(
            record__in=[d.record_id for d in delivered], system__in=target_ids
        )
    }
    fresh, changed = [], []
    for d in delivered:
        xref = existing.get((d.record_id, d.target_id))
        if xref is None:
            fresh.append(
                CrossReference(
                    record_id=d.record_id, entity=flow.entity, system_id=d.target_id,
                    external_id=d.external_id, last_hash=d.content_hash,
                )
            )  # fmt: skip
        else:
            xref.external_id, xref.last_hash = d.external_id or xref.external_id, d.content_hash
            changed.append(xref)
    CrossReference.objects.bulk_create(fresh, ignore_conflicts=True)
    CrossReference.objects.bulk_update(changed, ["external_id", "last_hash"])
