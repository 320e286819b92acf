"""Pushing due deliveries: claimed atomically, pushed per target in batches, every attempt recorded.

The transport only reports; this module decides: a permanent error is not retried, a transient one is
retried with exponential backoff and jitter (or after the target's Retry-After), and the last failure
turns the delivery into a dead letter.

Order and outages:

- A record's deliveries to one target go out in the order they were made: a delivery is due only when
  no earlier one for the same record and target is still waiting. A later one takes the target's id from
  the cross-reference the earlier one left, so it updates what the earlier one created.
- A push that fails as a whole with a transient error (the system unreachable, timing out, answering 5xx)
  is a failure of the link (``hub.systems.links``). Once the link is down, deliveries to it are not
  claimed, and the ones whose push found it down wait without using up an attempt: an outage never makes
  dead letters. They go out, in order, when the link is back.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from connectors.base import ConnectorError, OutgoingRecord, PushOutcome, RateLimitedError
from hub.catalog.models import CrossReference
from hub.flows.engine import bulk
from hub.flows.engine.context import Target
from hub.flows.engine.outbox import idempotency_key
from hub.flows.engine.text import printable
from hub.flows.models import Delivery, DeliveryAttempt, DeliveryState, Flow, Run
from hub.systems.links import link_failed, link_succeeded
from hub.systems.models import Link, LinkState

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # a claim older than this is free again (its worker died)
BATCH = 500
MAX_BACKOFF = 3600.0


def backoff_seconds(flow: Flow, attempts: int) -> float:
    base = flow.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return float(min(MAX_BACKOFF, base * random.uniform(0.8, 1.2)))


def waiting(flow: Flow, now: datetime) -> QuerySet[Delivery]:
    """Deliveries whose time has come, on the delivery table alone: the claiming update's condition.

    No join here: an update over a join becomes ``id IN (subquery)``, which raw ``bulk.among`` conditions
    would then point at the outer table (a scan per row)."""
    return Delivery.objects.filter(flow=flow, state=DeliveryState.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def due(flow: Flow, now: datetime, run: Run | None = None) -> QuerySet[Delivery]:
    """Deliveries to push now: waiting, their time come, their link not down, nothing earlier before them."""
    earlier = Delivery.objects.filter(
        record=OuterRef("record"),
        target=OuterRef("target"),
        state=DeliveryState.PENDING,
        pk__lt=OuterRef("pk"),
    )
    down = Link.objects.filter(state=LinkState.DOWN).values("system_id")  # a handful of rows at most
    found = waiting(flow, now).exclude(target_id__in=down).filter(~Exists(earlier))
    return found.filter(run=run) if run is not None else found


@dataclass(slots=True)
class Claimed:
    """A delivery this worker claimed: only what pushing and recording it need."""

    pk: int
    record_id: int
    target_id: int
    idempotency_key: str
    content_hash: str
    payload: Any
    external_id: str
    attempts: int
    batch_key: str
    state: str = DeliveryState.PENDING


CLAIMED = [
    "pk", "record_id", "target_id", "idempotency_key", "content_hash", "payload", "external_id", "attempts",
    "batch_key",
]  # fmt: skip


def claim(flow: Flow, *, limit: int, run: Run | None = None) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for this worker alone (a conditional update, checked)."""
    now, token = timezone.now(), uuid.uuid4().hex
    first = list(due(flow, now, run).order_by("pk").values_list("pk", "batch_key")[:limit])
    if not first:
        return []
    keys = {key for _, key in first if key}
    # A batch is never split: its other members come along, whatever the limit; a batch with a member
    # that may not go yet (an earlier delivery of its record waits, or another worker holds it) waits whole,
    # so that it goes out again exactly as first sent (same members, same batch key).
    members = set(bulk.among(due(flow, now), "batch_key", keys).values_list("pk", "batch_key"))
    held = {
        key
        for pk, key in bulk.among(
            Delivery.objects.filter(state=DeliveryState.PENDING), "batch_key", keys
        ).values_list("pk", "batch_key")
        if (pk, key) not in members
    }
    ids = {pk for pk, key in first if key not in held} | {pk for pk, key in members if key not in held}
    if not ids:
        return []
    # The claim: only rows still waiting become this worker's (another worker's claim made them not due).
    bulk.among(waiting(flow, now), "id", ids).update(claim_token=token, next_attempt_at=now + LEASE)
    # A delivery planned before an earlier one reached the target has no target id yet: it takes the id
    # the earlier one left in the cross-reference (read in the same query), so it updates, not creates.
    known = CrossReference.objects.filter(record=OuterRef("record"), system=OuterRef("target")).exclude(
        external_id=""
    )
    mine = bulk.among(Delivery.objects.filter(claim_token=token), "id", ids).annotate(
        known_id=Subquery(known.values("external_id")[:1])
    )
    claimed, found = [], []
    for *row, known_id in mine.order_by("pk").values_list(*CLAIMED, "known_id"):
        delivery = Claimed(*row)
        if not delivery.external_id and known_id:
            delivery.external_id = known_id
            found.append((delivery.pk, known_id))
        claimed.append(delivery)
    if found:  # written down, so that the delivery's page shows which record it updated
        bulk.update(Delivery, ["external_id"], found)
    return claimed


def release(deliveries: Sequence[Claimed]) -> None:
    """Give claimed deliveries back untouched (their link went down before they were pushed)."""
    bulk.among(Delivery.objects.all(), "id", [d.pk for d in deliveries]).update(
        claim_token="", next_attempt_at=None
    )


def deliver_due(
    *,
    flow: Flow,
    targets: dict[int, Target],
    reason: str,
    run: Run | None = None,
    beat: Callable[[], None] | None = None,
) -> int:
    """Push what is due for this flow (or run) once; returns how many deliveries were attempted."""
    claimed = claim(flow, limit=BATCH * max(len(targets), 1), run=run)
    down: set[int] = set()
    for target_id, batch in _batches(claimed):
        if target_id in down:
            release(batch)
            continue
        if _push(flow, targets.get(target_id), batch, reason) == LinkState.DOWN:
            down.add(target_id)
        if beat is not None:
            beat()
    return len(claimed)


def _batches(claimed: Sequence[Claimed]) -> list[tuple[int, list[Claimed]]]:
    """Retried deliveries go out in exactly the batch they were first sent in (same members, same order),
    so the batch's idempotency key is the same and a target that stored a batch whose answer was lost
    recognises it. New deliveries are cut into batches whose membership is written down before sending."""
    kept: dict[tuple[int, str], list[Claimed]] = defaultdict(list)
    fresh: dict[int, list[Claimed]] = defaultdict(list)
    for delivery in claimed:
        if delivery.batch_key:
            kept[(delivery.target_id, delivery.batch_key)].append(delivery)
        else:
            fresh[delivery.target_id].append(delivery)
    batches = [(target_id, members) for (target_id, _), members in kept.items()]
    for target_id, deliveries in fresh.items():
        for start in range(0, len(deliveries), BATCH):
            members = deliveries[start : start + BATCH]
            key = idempotency_key(*(d.idempotency_key for d in members))[:32]
            bulk.among(Delivery.objects.all(), "id", [d.pk for d in members]).update(batch_key=key)
            batches.append((target_id, members))
    return batches


def _push(flow: Flow, target: Target | None, deliveries: Sequence[Claimed], reason: str) -> str | None:
    """Push one batch and record it; returns the link's state when the push told something about it."""
    started = time.monotonic()
    link: str | None = None
    if target is None:
        error = ConnectorError("This system is no longer a target of the flow.", permanent=True)
        outcomes = [PushOutcome(d.idempotency_key, ok=False, error=error) for d in deliveries]
    elif target.system.read_only:  # marked read only after the flow was set up: nothing is sent
        error = ConnectorError(
            f"{target.system.name} is marked read only: the hub never writes to it, so nothing was sent.",
            permanent=True,
        )
        outcomes = [PushOutcome(d.idempotency_key, ok=False, error=error) for d in deliveries]
    else:
        outcomes, link = _call(target, deliveries, reason)
    each_ms = (time.monotonic() - started) * 1000 / max(len(deliveries), 1)
    _record(flow, deliveries, outcomes, each_ms, link_down=link == LinkState.DOWN)
    return link


def link_failure(error: ConnectorError | None) -> bool:
    """Whether a failed call says the link is unwell (not: the request was wrong, or it was throttled)."""
    return error is not None and not error.permanent and not isinstance(error, RateLimitedError)


def _call(target: Target, deliveries: Sequence[Claimed], reason: str) -> tuple[list[PushOutcome], str | None]:
    batch = [OutgoingRecord(d.idempotency_key, d.payload, d.external_id or None) for d in deliveries]
    began = timezone.now()
    try:
        outcomes = target.connector(reason).push(batch, resource=target.resource)
    except ConnectorError as error:
        outcomes = [PushOutcome(d.idempotency_key, ok=False, error=error) for d in deliveries]
    by_key = {o.idempotency_key: o for o in outcomes}
    missing = ConnectorError("The connector gave no outcome for this record.", permanent=False)
    ordered = [
        by_key.get(d.idempotency_key, PushOutcome(d.idempotency_key, ok=False, error=missing))
        for d in deliveries
    ]
    return ordered, _link_news(target, ordered, began)


def _link_news(target: Target, outcomes: Sequence[PushOutcome], began: datetime) -> str | None:
    """What a push says about the link: it works when the system took a record or answered with a refusal
    of its own; it is unwell when every record failed for reasons of the link (unreachable, timing out,
    5xx); a throttled push says nothing."""
    if any(o.ok for o in outcomes):
        link_succeeded(system=target.system, started=began)
        return LinkState.UP
    if outcomes and all(link_failure(o.error) for o in outcomes):
        first = next(o.error for o in outcomes if o.error is not None)
        return link_failed(system=target.system, error=first)
    if any(o.error is not None and o.error.permanent for o in outcomes):
        link_succeeded(system=target.system, started=began)
        return LinkState.UP
    return None


def _record(
    flow: Flow,
    deliveries: Sequence[Claimed],
    outcomes: Sequence[PushOutcome],
    each_ms: float,
    *,
    link_down: bool = False,
) -> None:
    """Write the outcome of one push: a few grouped updates, not one statement per row.

    ``link_down``: the push found the link down; its deliveries wait for the link, their attempt logged
    but not counted."""
    now = timezone.now()
    wait = backoff_seconds(flow, max(d.attempts for d in deliveries) + 1)  # one wait for the whole batch
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    ids_changed: list[tuple[int, str]] = []
    attempts = []
    for delivery, outcome in zip(deliveries, outcomes, strict=True):
        attempts.append(_attempt(delivery, outcome, now, each_ms))
        if link_down and not outcome.ok:
            groups[(DeliveryState.PENDING, None, _message(outcome.error), False, 0)].append(delivery.pk)
            continue
        delivery.attempts += 1
        if outcome.ok:
            delivery.state = DeliveryState.DELIVERED
            if outcome.external_id and outcome.external_id != delivery.external_id:
                delivery.external_id = outcome.external_id
                ids_changed.append((delivery.pk, delivery.external_id))
            groups[(DeliveryState.DELIVERED, None, "", False, 1)].append(delivery.pk)
        else:
            groups[_failed(flow, delivery, outcome.error, now, wait)].append(delivery.pk)
    with transaction.atomic():
        bulk.insert(DeliveryAttempt, ATTEMPT, attempts)
        for (state, next_at, error, permanent, counted), ids in groups.items():
            bulk.among(Delivery.objects.all(), "id", ids).update(
                state=state, next_attempt_at=next_at, last_error=error, permanent_error=permanent,
                attempts=F("attempts") + counted, claim_token="", updated_at=now,
                delivered_at=now if state == DeliveryState.DELIVERED else None,
            )  # fmt: skip
        if ids_changed:
            bulk.update(Delivery, ["external_id"], ids_changed)
        _remember(flow, [d for d in deliveries if d.state == DeliveryState.DELIVERED])


ATTEMPT = ["delivery", "at", "ok", "error", "permanent", "status_code", "duration_ms"]


def _attempt(delivery: Claimed, outcome: PushOutcome, now: datetime, each_ms: float) -> tuple[Any, ...]:
    error = outcome.error
    return (
        delivery.pk, now, outcome.ok, "" if error is None else str(error)[:2000],
        bool(error is not None and error.permanent), None if error is None else error.status_code, each_ms,
    )  # fmt: skip


def _failed(
    flow: Flow, delivery: Claimed, error: ConnectorError | None, now: datetime, wait: float
) -> tuple[Any, ...]:
    """The delivery's next state, as (state, next attempt, error, permanent, attempts counted)."""
    error = error or ConnectorError("The push failed without a reason.")
    message = _message(error)
    if error.permanent or delivery.attempts >= flow.max_attempts:
        delivery.state = DeliveryState.DEAD
        return (DeliveryState.DEAD, None, message, error.permanent, 1)
    if isinstance(error, RateLimitedError) and error.retry_after:
        wait = max(wait, float(error.retry_after))
    return (DeliveryState.PENDING, now + timedelta(seconds=wait), message, False, 1)


def _message(error: ConnectorError | None) -> str:
    return str(error or "The push failed without a reason.")[:2000]


def _ids_held_by_others(
    flow: Flow, delivered: Sequence[Claimed], existing: dict[tuple[int, int], tuple[int, str]]
) -> set[tuple[int, str]]:
    """(target, id) pairs among the new ids that a cross-reference of another record already holds."""
    new = {
        (d.target_id, d.external_id)
        for d in delivered
        if d.external_id
        and (xref := existing.get((d.record_id, d.target_id))) is not None
        and xref[1] != d.external_id
    }
    if not new:
        return set()
    rows = bulk.among(
        CrossReference.objects.filter(entity_id=flow.entity_id, system__in={t for t, _ in new}),
        "external_id",
        {e for _, e in new},
    ).values_list("system_id", "external_id")
    return {(system_id, external_id) for system_id, external_id in rows} & new


def _remember(flow: Flow, delivered: Sequence[Claimed]) -> None:
    """Cross-references: which id the target gave the record, and what content it now holds."""
    if not delivered:
        return
    existing = {
        (record_id, system_id): (pk, external_id)
        for pk, record_id, system_id, external_id in bulk.among(
            CrossReference.objects.filter(system__in={d.target_id for d in delivered}),
            "record",
            {d.record_id for d in delivered},
        ).values_list("pk", "record_id", "system_id", "external_id")
    }
    now = timezone.now()
    fresh, changed = [], []
    held = _ids_held_by_others(flow, delivered, existing)
    for d in delivered:
        xref = existing.get((d.record_id, d.target_id))
        if xref is None:
            fresh.append((d.record_id, flow.entity_id, d.target_id, d.external_id, d.content_hash, now))
        else:
            external_id = d.external_id or xref[1]
            if (d.target_id, external_id) in held:  # the target answered with another record's id
                log.warning(
                    "%s answered delivery %s with id %s, which another record already has there; the "
                    "record keeps its id %s",
                    d.target_id, d.pk, printable(external_id), printable(xref[1]),
                )  # fmt: skip
                external_id = xref[1]
            changed.append((xref[0], external_id, d.content_hash, now))
    if fresh:
        bulk.insert(
            CrossReference,
            ["record", "entity", "system", "external_id", "last_hash", "updated_at"],
            fresh,
            ignore_conflicts=True,
        )
    if changed:
        bulk.update(CrossReference, ["external_id", "last_hash", "updated_at"], changed)
