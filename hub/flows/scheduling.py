"""The tick: starts due scheduled runs, requeues abandoned or lost work, wakes the outbox.

Every decision is a conditional update in the database, so a tick delivered twice, or tickers on two
machines, start each run once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from hub.audit.chain import audit_seal_or_log
from hub.audit.verifying import verifications_requeue
from hub.flows.jobs import enqueue
from hub.flows.models import (
    Delivery,
    DeliveryState,
    Flow,
    FlowState,
    InboundBatch,
    InboundState,
    Run,
    RunState,
    Trigger,
)
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.flows.runs import run_request, runs_requeue_abandoned
from hub.flows.schedule import ScheduleError, cron_next
from hub.systems.links import links_test_due
from hub.systems.models import LinkState

LOST_AFTER = timedelta(seconds=30)  # a queued run nobody started by then lost its job (e.g. Redis restarted)
ENTRIES_RETRY_AFTER = timedelta(minutes=5)  # after a failed "fallback form" run, the tick waits this long


def next_run_time(flow: Flow, after: datetime) -> datetime | None:
    if flow.trigger == Trigger.INTERVAL and flow.interval_minutes:
        return after + timedelta(minutes=flow.interval_minutes)
    if flow.trigger == Trigger.CRON and flow.cron:
        try:
            return cron_next(flow.cron, after)
        except ScheduleError:
            return None
    return None


def flows_start_due(now: datetime) -> int:
    started = 0
    # A flow whose source's link is down waits: the first tick after the link is back starts it.
    scheduled = Flow.objects.filter(
        state=FlowState.ACTIVE, trigger__in=[Trigger.INTERVAL, Trigger.CRON]
    ).exclude(source__link__state=LinkState.DOWN)
    for flow in scheduled.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)):
        upcoming = next_run_time(flow, now)
        taken = Flow.objects.filter(pk=flow.pk, next_run_at=flow.next_run_at).update(next_run_at=upcoming)
        if taken:
            _, created = run_request(flow=flow, trigger="schedule")
            started += int(created)
    return started


def pushed_waiting(now: datetime) -> int:
    """Pushed records that arrived while a run was busy get a run of their own."""
    busy = Run.objects.filter(state__in=[RunState.QUEUED, RunState.RUNNING]).values("flow_id")
    waiting = InboundBatch.objects.filter(state=InboundState.PENDING, run__isnull=True).exclude(
        flow_id__in=busy
    )
    flows = Flow.objects.filter(pk__in=waiting.values("flow_id"))
    return sum(int(run_request(flow=flow, trigger="pushed")[1]) for flow in flows)


def entries_waiting(now: datetime) -> int:
    """Entries typed into the fallback form while their flow was busy get a run of their own; not while
    the flow's last such run failed less than ``ENTRIES_RETRY_AFTER`` ago (it would fail again each tick)."""
    from hub.fallback.models import EntryState, ManualEntry

    busy = Run.objects.filter(state__in=[RunState.QUEUED, RunState.RUNNING]).values("flow_id")
    waiting = ManualEntry.objects.filter(state=EntryState.WAITING).exclude(flow_id__in=busy)
    candidates = Flow.objects.filter(pk__in=waiting.values("flow_id"), state=FlowState.ACTIVE)
    last = Run.objects.filter(flow=OuterRef("pk"), trigger=FALLBACK_TRIGGER).order_by("-pk").values("pk")[:1]
    failed_lately = Run.objects.filter(
        pk__in=candidates.annotate(last=Subquery(last)).values("last"),
        state=RunState.FAILED,
        finished_at__gt=now - ENTRIES_RETRY_AFTER,
    ).values("flow_id")
    flows = candidates.exclude(pk__in=failed_lately)
    return sum(int(run_request(flow=flow, trigger=FALLBACK_TRIGGER)[1]) for flow in flows)


def runs_requeue_lost(now: datetime) -> int:
    lost = Run.objects.filter(state=RunState.QUEUED, queued_at__lt=now - LOST_AFTER).values_list(
        "pk", flat=True
    )
    return sum(enqueue("hub.flows.jobs.execute_run", run_id) for run_id in lost)


def outbox_wake(now: datetime) -> int:
    busy = Run.objects.filter(state__in=[RunState.QUEUED, RunState.RUNNING]).values("flow_id")
    due = (
        Delivery.objects.filter(state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(target__link__state=LinkState.DOWN)
    )
    flows = due.exclude(flow_id__in=busy).order_by().values_list("flow_id", flat=True).distinct()
    return sum(enqueue("hub.flows.jobs.deliver_flow", flow_id) for flow_id in flows)


def tick(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    audit_seal_or_log()  # the safety net: entries whose on-commit sealing failed
    return {
        "started": flows_start_due(now) + pushed_waiting(now) + entries_waiting(now),
        "requeued": len(runs_requeue_abandoned(now=now)),
        "lost": runs_requeue_lost(now),
        "outbox": outbox_wake(now),
        "audit_checks": verifications_requeue(now=now),
        "link_tests": links_test_due(now),
    }
