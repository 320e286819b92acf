"""Link health: a circuit breaker per system, fed by connection tests, pushes and fetches.

- Up: calls succeed. A failed call makes the link *degraded*; ``System.breaker_failures`` failures in a
  row make it *down*.
- Down: nobody calls the system. Deliveries to it wait in the outbox without using up their attempts, and
  scheduled runs from it are not started. When ``retry_at`` comes, the tick queues a connection test
  (claimed with a conditional update, so two tickers test once); a failed test doubles the wait, up to
  ``MAX_PAUSE``.
- Any successful call or test brings the link up again and wakes the outbox for the flows that deliver
  to it; the tick starts the scheduled flows that read from it, which waited while it was down.

Every change of a link happens under its row lock, so many workers reporting at once count each failure
once and change the state once. A success on a link that is already up and clean is a single update.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hub.flows.engine.text import printable
from hub.systems.models import Link, LinkState, System

log = logging.getLogger(__name__)

MAX_PAUSE = 300  # seconds: the longest a down link is left alone between tests


def _locked(system_id: int, now: datetime) -> Link:
    Link.objects.get_or_create(system_id=system_id, defaults={"since": now})
    return Link.objects.select_for_update().get(system_id=system_id)


def link_failed(*, system: System, error: object, test: bool = False, now: datetime | None = None) -> str:
    """A call to the system failed (``test``: a connection test did). Returns the link's state after it."""
    now = now or timezone.now()
    with transaction.atomic():
        link = _locked(system.pk, now)
        link.failures += 1
        link.last_error = printable(error, limit=500)
        link.last_failure_at = now
        if link.state == LinkState.DOWN:
            if test:  # still down: wait longer before the next test
                link.pause_seconds = min(MAX_PAUSE, max(link.pause_seconds, 1) * 2)
                link.retry_at = now + timedelta(seconds=link.pause_seconds)
        elif link.failures >= system.breaker_failures:
            link.state, link.since = LinkState.DOWN, now
            link.pause_seconds = min(MAX_PAUSE, system.breaker_pause_seconds)
            link.retry_at = now + timedelta(seconds=link.pause_seconds)
            log.warning(
                "link to %s is down after %s failed calls in a row; calls paused for %ss: %s",
                printable(system.name), link.failures, link.pause_seconds, link.last_error,
            )  # fmt: skip
        elif link.state == LinkState.UP:
            link.state, link.since = LinkState.DEGRADED, now
        link.save()
    return link.state


def link_succeeded(*, system: System, started: datetime | None = None, now: datetime | None = None) -> bool:
    """A call to the system worked. Returns True when this brought a down link back up.

    ``started``: when the call began. A call that began before the link's latest failure (a slow push
    answering after others failed) says nothing about the link now, and changes nothing."""
    now = now or timezone.now()
    if Link.objects.filter(system_id=system.pk, state=LinkState.UP, failures=0).update(last_success_at=now):
        return False
    with transaction.atomic():
        link = _locked(system.pk, now)
        if started is not None and link.last_failure_at is not None and started < link.last_failure_at:
            return False
        was = link.state
        if was != LinkState.UP:
            link.state, link.since = LinkState.UP, now
        link.failures, link.retry_at, link.pause_seconds, link.last_success_at = 0, None, 0, now
        link.save()
        if was == LinkState.DOWN:
            log.info("link to %s is up again", printable(system.name))
            _due_now(system.pk, now)
            transaction.on_commit(functools.partial(link_restored, system.pk))
    return was == LinkState.DOWN


def _due_now(system_id: int, now: datetime) -> None:
    """Retries that were waiting out a backoff when the link went down are due at once: the wait was for
    the link, which is back."""
    from hub.flows.models import Delivery, DeliveryState

    Delivery.objects.filter(
        target_id=system_id, state=DeliveryState.PENDING, claim_token="", next_attempt_at__gt=now
    ).update(next_attempt_at=None)


def link_restored(system_id: int) -> int:
    """The link is back: wake the outbox of every flow with deliveries waiting for it (once per flow).
    Returns how many flows were woken."""
    from hub.flows.jobs import enqueue
    from hub.flows.models import Delivery, DeliveryState

    waiting = Delivery.objects.filter(target_id=system_id, state=DeliveryState.PENDING)
    flows = list(waiting.order_by().values_list("flow_id", flat=True).distinct())
    for flow_id in flows:
        enqueue("hub.flows.jobs.deliver_flow", flow_id)
    return len(flows)


def is_down(system_id: int) -> bool:
    return Link.objects.filter(system_id=system_id, state=LinkState.DOWN).exists()


def links_test_due(now: datetime | None = None) -> int:
    """Queue a connection test of every down link whose wait is over; returns how many were queued."""
    from hub.flows.jobs import enqueue

    now = now or timezone.now()
    queued = []
    for system_id, retry_at, pause in Link.objects.filter(
        state=LinkState.DOWN, retry_at__lte=now
    ).values_list("system_id", "retry_at", "pause_seconds"):
        # Claimed: the next test is not before the wait (a lost test is tried again then).
        later = now + timedelta(seconds=max(pause, 1))
        if Link.objects.filter(system_id=system_id, retry_at=retry_at).update(retry_at=later):
            queued.append(system_id)
    for system_id in queued:
        enqueue("hub.systems.jobs.probe_system", system_id)
    return len(queued)
