"""Starting, claiming, executing and finishing runs. The database decides who runs what."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Sum, Value
from django.db.models.functions import Concat
from django.utils import timezone

from connectors.base import ConnectorError
from hub.audit.attribution import attributed
from hub.audit.services import Actor, actor_user
from hub.flows.engine.context import RunContext, RunSetupError, run_context
from hub.flows.engine.delivering import deliver_due, link_failure
from hub.flows.engine.pipeline import PageWork, corrected_item, later_cursor, process_items, process_page
from hub.flows.engine.text import printable
from hub.flows.models import (
    Delivery,
    DeliveryState,
    Flow,
    InboundBatch,
    InboundState,
    Outcome,
    Quarantined,
    QuarantineState,
    RecordOutcome,
    Run,
    RunState,
    Trigger,
)
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.systems.links import link_failed, link_succeeded
from hub.systems.models import LinkState
from hub.systems.services import system_connector
from hub.systems.vault import VaultError

log = logging.getLogger(__name__)

CORRECTIONS_PER_RUN = 1000  # corrected records a run takes; the rest wait for the next run
STALE_AFTER = timedelta(seconds=90)  # a running run without a heartbeat for this long is abandoned
LOOK_AT = (Outcome.QUARANTINED, Outcome.CONFLICT)  # named on the page's log line
OUTCOME_FIELDS = {
    Outcome.CREATED: "created",
    Outcome.UPDATED: "updated",
    Outcome.UNCHANGED: "unchanged",
    Outcome.QUARANTINED: "quarantined",
    Outcome.CONFLICT: "conflicts",
    Outcome.FAILED: "failed",
    Outcome.DEAD_LETTERED: "dead_lettered",
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_request(*, flow: Flow, trigger: str, actor: Actor = None) -> tuple[Run, bool]:
    """Queue a run unless one is already queued or running; returns (run, created). Enqueued on commit."""
    try:
        with transaction.atomic():
            run = Run.objects.create(flow=flow, trigger=trigger, requested_by=actor_user(actor))
    except IntegrityError:
        active = Run.objects.filter(flow=flow, state__in=[RunState.QUEUED, RunState.RUNNING]).first()
        if active is not None:
            return active, False
        raise
    enqueue_run(run.pk)
    return run, True


def enqueue_run(run_id: int) -> None:
    from hub.flows.jobs import enqueue

    transaction.on_commit(lambda: enqueue("hub.flows.jobs.execute_run", run_id))


def run_claim(run_id: int, *, worker: str) -> Run | None:
    """Take a queued run for this worker; None when another worker has it (or it is finished)."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, worker=worker, heartbeat_at=now, executions=F("executions") + 1,
        fetched=0, pages=0,
    )  # fmt: skip
    if not claimed:
        return None
    run = Run.objects.select_related("flow").get(pk=run_id)
    if run.started_at is None:
        run.started_at = now
        run.since = run.flow.cursor
        run.save(update_fields=["started_at", "since"])
    return run


class RunSuperseded(Exception):
    """Another worker took this run over (this one was thought dead): stop without writing."""


def run_execute(run_id: int, *, worker: str | None = None) -> Run | None:
    run = run_claim(run_id, worker=worker or worker_name())
    if run is None:
        return None
    with attributed(cid=f"run:{run.pk}", by=f"run {run.pk} of flow {run.flow.name}"), Heartbeat(run):
        try:
            ctx = run_context(run)
        except RunSetupError as error:
            return _fail(run, str(error))
        try:
            _read_all(ctx)
            _drain(ctx)
            finished = _finish(ctx)
            _more_corrections(ctx)
            return finished
        except (ConnectorError, VaultError) as error:
            return _fail(run, f"{ctx.source.name}, page {run.pages + 1}: {error}")
        except RunSuperseded:
            log.warning("run %s was taken over by another worker; %s stops", run.pk, run.worker)
            return None
        finally:
            ctx.close()


class Heartbeat:
    """Beats in its own thread while a run executes, so a long push or a slow page never looks dead."""

    EVERY = 15.0

    def __init__(self, run: Run):
        self.run = run
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-run-{run.pk}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.EVERY):
                beating = Run.objects.filter(pk=self.run.pk, worker=self.run.worker, state=RunState.RUNNING)
                try:
                    if not beating.update(heartbeat_at=timezone.now()):
                        return
                except DatabaseError:  # a busy database: the next beat tries again
                    continue
        finally:
            connection.close()  # this thread's own database connection


def _reason(ctx: RunContext) -> str:
    return f"run {ctx.run.pk} of flow {ctx.flow.name}"


MANUAL_PAGES = 1000  # a run takes at most this many pages of manual entries; the tick starts another


def _read_all(ctx: RunContext) -> None:
    if ctx.run.trigger == FALLBACK_TRIGGER:
        _read_manual(ctx)
        return
    _load_corrections(ctx)
    if ctx.flow.trigger in (Trigger.WEBHOOK, Trigger.API_PUSH):
        _read_pushed(ctx)
        _read_corrections(ctx, ctx.run.pages + 1)
        return
    run = ctx.run
    source = system_connector(system=ctx.source, reason=_reason(ctx))
    try:
        pages = source.fetch(since=run.since or None, resource=ctx.inbound_resource)
        number = 0
        for number, page in enumerate(pages, start=1):
            work = process_page(ctx, number, page.records)
            if source.resumes:  # the connector's own position, past this page's records, now stored
                run.cursor_after = page.cursor or run.cursor_after
            else:
                run.cursor_after = later_cursor(run.cursor_after, work.cursor)
            _page_done(run, number, len(page.records), work)
            _deliver_now(ctx)
    except ConnectorError as error:
        if link_failure(error):
            link_failed(system=ctx.source, error=error)
        raise
    else:
        link_succeeded(system=ctx.source)
    finally:
        source.close()
    _read_corrections(ctx, number + 1)


def _read_pushed(ctx: RunContext) -> None:
    """Pushed records (webhook, API) were stored when they arrived; each stored batch is one page."""
    run = ctx.run
    InboundBatch.objects.filter(flow=ctx.flow, state=InboundState.PENDING, run__isnull=True).update(run=run)
    done = InboundBatch.objects.filter(run=run, state=InboundState.PROCESSED)  # by an earlier execution
    run.fetched += done.aggregate(n=Sum("record_count"))["n"] or 0
    first = done.count() + 1
    pending = InboundBatch.objects.filter(run=run, state=InboundState.PENDING)
    for number, batch in enumerate(pending, start=first):
        with transaction.atomic():
            work = process_page(ctx, number, batch.records)
            InboundBatch.objects.filter(pk=batch.pk).update(state=InboundState.PROCESSED, page=number)
        _page_done(run, number, batch.record_count, work)
        _deliver_now(ctx)


def _read_manual(ctx: RunContext) -> None:
    """Entries typed into the fallback form, a page at a time (the source is not called: it may be down)."""
    from hub.fallback.processing import entries_items, entries_settle, entries_waiting, manual_context

    manual, run = manual_context(ctx), ctx.run
    # Pages an earlier execution of this run took in (its entries are no longer waiting): counted, and
    # numbered past, so that an entry corrected meanwhile gets an outcome of its own on a new page.
    earlier = RecordOutcome.objects.filter(run=run, system=manual.source)
    run.fetched += earlier.count()
    number = earlier.aggregate(last=Max("page"))["last"] or 0
    for _ in range(MANUAL_PAGES):
        entries = entries_waiting(ctx.flow)
        if not entries:
            return
        number += 1
        with transaction.atomic():
            work = PageWork(number=number)
            work = process_items(manual, work, entries_items(manual, work, entries))
            entries_settle(manual, work, entries)
        _page_done(run, number, len(entries), work)
        _deliver_now(manual)


def _load_corrections(ctx: RunContext) -> None:
    waiting = Quarantined.objects.filter(flow=ctx.flow, system=ctx.source, state=QuarantineState.RESUBMITTED)
    ctx.corrections = {q.external_id: q for q in waiting.order_by("pk")[:CORRECTIONS_PER_RUN]}


def _more_corrections(ctx: RunContext) -> None:
    """Corrections beyond what one run takes (or made while it ran) get a run of their own."""
    if Quarantined.objects.filter(flow=ctx.flow, state=QuarantineState.RESUBMITTED).exists():
        run_request(flow=ctx.flow, trigger="resubmit")


def _read_corrections(ctx: RunContext, number: int) -> None:
    """Corrections the source did not send again in this run are processed as one more page.

    A correction whose record the source sent in this run, changed, is superseded by that newer version
    (the record has its outcome already); one whose record came unchanged was applied in its place."""
    waiting = ctx.corrections
    if not waiting:
        return
    seen = set(
        RecordOutcome.objects.filter(
            run=ctx.run, system=ctx.source, external_id__in=list(waiting)
        ).values_list("external_id", flat=True)
    )
    now = timezone.now()
    if seen:
        Quarantined.objects.filter(pk__in=[waiting[e].pk for e in seen]).update(
            state=QuarantineState.APPLIED, run=ctx.run, updated_at=now,
            reason=f"superseded: {ctx.source.name} sent a newer version in run {ctx.run.pk}",
        )  # fmt: skip
    corrected = [q for external_id, q in waiting.items() if external_id not in seen]
    ctx.corrections = {}
    if not corrected:
        return
    items = [corrected_item(ctx, q.external_id, q.payload, q.values) for q in corrected]
    with transaction.atomic():
        work = process_items(ctx, PageWork(number=number), items)
        Quarantined.objects.filter(pk__in=[q.pk for q in corrected]).update(
            state=QuarantineState.APPLIED, run=ctx.run, updated_at=now
        )
    _page_done(ctx.run, number, len(items), work)
    _deliver_now(ctx)


def _page_done(run: Run, number: int, count: int, work: PageWork | None = None) -> None:
    run.pages, run.fetched = number, run.fetched + count
    run.heartbeat_at = timezone.now()
    tally = Counter(o.outcome for o in work.outcomes) if work is not None else Counter()
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items())) or "nothing to do"
    line = f"{run.heartbeat_at:%H:%M:%S} page {number}: {count} records: {summary}{_to_look_at(work)}\n"
    mine = Run.objects.filter(pk=run.pk, worker=run.worker, state=RunState.RUNNING)
    if not mine.exists():
        raise RunSuperseded
    mine.update(
        pages=number, fetched=run.fetched, heartbeat_at=run.heartbeat_at, cursor_after=run.cursor_after,
        log=Concat(F("log"), Value(line)),
    )  # fmt: skip


def _to_look_at(work: PageWork | None, shown: int = 5) -> str:
    """The source's ids of the first records a person should look at. They come from another system:
    ``printable`` keeps each on this line, so that an id cannot forge a line of its own."""
    ids = [o.external_id for o in work.outcomes if o.outcome in LOOK_AT] if work is not None else []
    if not ids:
        return ""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return "; to look at: " + ", ".join(printable(i, limit=80) for i in ids[:shown]) + more


def _deliver_now(ctx: RunContext, rounds: int = 50) -> None:
    """Push everything of this run that is due now (what fails waits for its retry time)."""
    for _ in range(rounds):
        if not deliver_due(flow=ctx.flow, targets=ctx.targets, reason=_reason(ctx), run=ctx.run):
            return


def _drain(ctx: RunContext) -> None:
    """Keep retrying this run's deliveries within the flow's retry window; the outbox takes the rest."""
    deadline = time.monotonic() + ctx.flow.retry_window_seconds
    while True:
        attempted = deliver_due(flow=ctx.flow, targets=ctx.targets, reason=_reason(ctx), run=ctx.run)
        # What waits for a down link is the outbox's: the run does not wait for the link to come back.
        pending = Delivery.objects.filter(run=ctx.run, state=DeliveryState.PENDING).exclude(
            target__link__state=LinkState.DOWN
        )
        if not pending.exists() or time.monotonic() >= deadline:
            return
        if attempted == 0:
            soonest = pending.aggregate(at=Min("next_attempt_at"))["at"]
            wait = (soonest - timezone.now()).total_seconds() if soonest else 0.1
            time.sleep(min(max(wait, 0.05), 1.0, max(deadline - time.monotonic(), 0.0)))
            Run.objects.filter(pk=ctx.run.pk).update(heartbeat_at=timezone.now())


def _finish(ctx: RunContext) -> Run:
    run = ctx.run
    with transaction.atomic():
        _settle_delivery_outcomes(run)
        counts = dict(RecordOutcome.objects.filter(run=run).values_list("outcome").annotate(n=Count("pk")))
        for outcome, name in OUTCOME_FIELDS.items():
            setattr(run, name, counts.get(outcome, 0))
        balanced = run.accounted == run.fetched
        run.state = RunState.SUCCEEDED if balanced else RunState.UNBALANCED
        if not balanced:
            run.error = (
                f"{run.fetched} records were fetched but {run.accounted} have an outcome: the source sent "
                "the same record twice on one page, or a record was lost. See the outcomes."
            )
        run.finished_at = timezone.now()
        mine = Run.objects.select_for_update().filter(pk=run.pk, worker=run.worker, state=RunState.RUNNING)
        if not mine.exists():
            raise RunSuperseded
        # Not the log: each page appended its line in the database, which this copy of the run never saw.
        run.save(update_fields=[f.name for f in Run._meta.concrete_fields if f.name not in ("id", "log")])
        if run.cursor_after:
            Flow.objects.filter(pk=run.flow_id).update(cursor=run.cursor_after)
    return run


def _settle_delivery_outcomes(run: Run) -> None:
    """A record whose delivery died is dead-lettered; one still waiting is 'failed' until the outbox succeeds."""
    inbound_done = RecordOutcome.objects.filter(run=run).exclude(outcome=Outcome.QUARANTINED)
    dead = Delivery.objects.filter(run=run, state=DeliveryState.DEAD).values("record_id")
    waiting = Delivery.objects.filter(run=run, state=DeliveryState.PENDING).values("record_id")
    inbound_done.filter(record_id__in=dead).update(
        outcome=Outcome.DEAD_LETTERED,
        reason="A delivery of this record became a dead letter: see Dead letters.",
    )
    inbound_done.filter(record_id__in=waiting).exclude(outcome=Outcome.DEAD_LETTERED).update(
        outcome=Outcome.FAILED,
        reason="Not delivered during the run (retries waiting, or the target's link is down): the outbox "
        "delivers it.",
    )


def _fail(run: Run, message: str) -> Run:
    message = printable(message, limit=5000)  # it quotes the systems' own words
    log.warning("run %s failed: %s", run.pk, message)
    run.state = RunState.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "error", "finished_at"])
    return run


def runs_requeue_abandoned(*, now: datetime | None = None) -> list[int]:
    """Running runs whose worker stopped beating go back to the queue; the database decides, once."""
    now = now or timezone.now()
    requeued = []
    for run in Run.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=now - STALE_AFTER):
        with transaction.atomic():
            taken = Run.objects.filter(
                pk=run.pk, state=RunState.RUNNING, heartbeat_at=run.heartbeat_at
            ).update(state=RunState.QUEUED, worker="")
            if taken:  # what the dead worker had claimed is free again at once, not after its lease
                Delivery.objects.filter(run=run, state=DeliveryState.PENDING).exclude(claim_token="").update(
                    claim_token="", next_attempt_at=None
                )
        if taken:
            requeued.append(run.pk)
            enqueue_run(run.pk)
    return requeued
