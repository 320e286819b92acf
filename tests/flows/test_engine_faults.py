"""The engine through faults, in process: a real source and target on 127.0.0.1 misbehave on purpose.

Every record must end delivered exactly once (or as a dead letter a person can replay), whatever the
source or the target gets wrong; the counts of each run must add up; the cursor moves only past what
is stored.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from hub.catalog.models import CrossReference, Record
from hub.flows.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Flow,
    Outcome,
    Run,
    RunState,
)
from hub.flows.outbox import dead_letter_replay, outbox_deliver
from hub.flows.scheduling import flows_start_due, tick
from hub.systems.models import System
from tests.flows.running import outcomes, run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db


def email(number: int) -> str:
    return f"user{number:05d}@example.com"


def assert_written_once(target: TargetServer, numbers: range) -> None:
    writes = target.writes_per_key()
    assert writes == dict.fromkeys(map(email, numbers), 1), {k: n for k, n in writes.items() if n != 1}


def assert_all_delivered(count: int) -> None:
    states = dict(Delivery.objects.values_list("state").annotate(n=Count("pk")))
    assert states == {DeliveryState.DELIVERED: count}


# Exactly once through a flaky target.


def test_ten_thousand_records_through_a_target_failing_30_percent_of_calls_arrive_exactly_once(
    make_flow, source: SourceServer, target: TargetServer
):
    source.add(10_000)
    target.fail_share(0.3, seed=7)
    flow = make_flow(push_mode="batch", page_size=1000, retry_window_seconds=60, max_attempts=5)
    # Three failed calls in a row would mark the link down and leave the rest to the outbox after a test
    # of the link (tests/fallback/test_links.py); this test is about retries, so the breaker is set past them.
    System.objects.filter(name="Target").update(breaker_failures=100)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert run.fetched == run.accounted == run.created == 10_000
    assert run.pages == 11  # ten full pages, then the empty one that says there is no more
    assert target.statuses[503] >= 5, "the target was meant to fail: the test proves nothing otherwise"
    assert_written_once(target, range(1, 10_001))
    assert_all_delivered(10_000)
    assert DeliveryAttempt.objects.filter(ok=False, status_code=503).exists()
    # Each delivery remembers the id the target gave, and the cross-reference says so too.
    ids = dict(Delivery.objects.values_list("record__natural_key", "external_id"))
    assert len(set(ids.values())) == 10_000
    assert CrossReference.objects.filter(system__name="Target").count() == 10_000


@pytest.mark.parametrize("after_write", [False, True], ids=["refused", "answer-lost"])
def test_records_pushed_one_by_one_through_a_flaky_target_arrive_exactly_once(
    make_flow, source: SourceServer, target: TargetServer, after_write: bool
):
    """With 'answer-lost' the target stores the item and only the answer fails: the retry must carry the
    same idempotency key, or the target writes the record twice."""
    source.add(300)
    target.fail_share(0.3, seed=3, after_write=after_write)
    flow = make_flow(push_mode="single", page_size=100, retry_window_seconds=30)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert run.fetched == run.accounted == run.created == 300
    assert target.statuses[503] >= 30
    assert_written_once(target, range(1, 301))
    assert_all_delivered(300)
    if after_write:
        assert target.replays == target.statuses[503]  # every lost answer was asked for again, and replayed


def test_records_pushed_in_batches_whose_answer_was_lost_arrive_exactly_once(
    make_flow, source: SourceServer, target: TargetServer
):
    source.add(600)
    target.fail_share(0.3, seed=1, after_write=True)  # seed 1: the very first batch loses its answer
    flow = make_flow(push_mode="batch", page_size=300, retry_window_seconds=30)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert target.statuses[503] >= 1
    assert_all_delivered(600)
    assert_written_once(target, range(1, 601))


def test_a_second_run_over_unchanged_data_pushes_nothing(
    make_flow, source: SourceServer, target: TargetServer
):
    source.add(250)
    flow = make_flow(push_mode="batch", page_size=100)
    first = run_once(flow)
    assert first.state == RunState.SUCCEEDED, first.error
    calls, deliveries = target.calls, Delivery.objects.count()

    second = run_once(flow)

    assert second.state == RunState.SUCCEEDED, second.error
    assert second.fetched == second.accounted == second.unchanged == 250
    assert set(outcomes(second).values()) == {Outcome.UNCHANGED}
    assert target.calls == calls
    assert Delivery.objects.count() == deliveries == 250
    assert_written_once(target, range(1, 251))


# The source fails mid-run.

SOURCE_FAULTS = {
    "5xx-burst": (lambda s: s.fail_calls(3, status=502, after=2), "HTTP 502"),
    "malformed-json": (lambda s: s.malformed_call(after=2), "not JSON"),
    "read-timeout": (lambda s: s.slow_call(3, after=2), "No answer"),
    "rate-limited": (lambda s: s.rate_limit_call(30, after=2), "429"),
}


@pytest.mark.parametrize("fault", SOURCE_FAULTS)
def test_a_source_failing_mid_run_fails_the_run_keeps_the_cursor_and_the_next_run_completes(
    make_flow, source: SourceServer, target: TargetServer, fault: str
):
    inject, words = SOURCE_FAULTS[fault]
    source.add(10)
    flow = make_flow(push_mode="batch", page_size=10, cursor=True, read_timeout=1)
    assert run_once(flow).state == RunState.SUCCEEDED
    cursor = Flow.objects.get(pk=flow.pk).cursor
    assert cursor == Record.objects.get(natural_key=email(10)).data["updated_at"]
    source.add(30)  # from the cursor on: R-00010 (again, the boundary is inclusive) to R-00040
    inject(source)

    failed = run_once(flow)

    assert failed.state == RunState.FAILED
    assert failed.error.startswith("Source, page 3: "), failed.error
    assert words in failed.error, failed.error
    assert (failed.pages, failed.fetched) == (2, 20)
    assert Flow.objects.get(pk=flow.pk).cursor == cursor  # not past what was stored
    # Pages 1 and 2 are stored whole (records, outcomes, deliveries); nothing of page 3 is.
    assert Record.objects.count() == 29
    assert not Record.objects.filter(natural_key__in=[email(n) for n in range(30, 41)]).exists()
    assert len(outcomes(failed)) == 20
    assert_written_once(target, range(1, 30))

    source.clear_faults()
    again = run_once(flow)

    assert again.state == RunState.SUCCEEDED, again.error
    assert again.since == cursor
    assert again.fetched == again.accounted == 31
    assert (again.unchanged, again.created) == (20, 11)
    assert Flow.objects.get(pk=flow.pk).cursor == Record.objects.get(natural_key=email(40)).data["updated_at"]
    assert_written_once(target, range(1, 41))
    assert_all_delivered(40)


def test_a_run_failed_by_the_source_names_the_page(make_flow, source: SourceServer):
    source.add(30)
    source.fail_calls(1, status=503, after=2)
    flow = make_flow(page_size=10)

    failed = run_once(flow)

    assert failed.state == RunState.FAILED
    assert "page 3" in failed.error, failed.error


# The target is down, rate-limits, or refuses records.


def test_a_target_down_past_the_retries_leaves_dead_letters_that_a_replay_delivers_once(
    make_flow, source: SourceServer, target: TargetServer
):
    source.add(20)
    target.down()
    flow = make_flow(push_mode="single", page_size=10, max_attempts=3, retry_window_seconds=15)
    # A link marked down makes deliveries wait instead (tests/fallback/test_links.py): here the breaker
    # is set past the retries, to see the retries themselves run out.
    System.objects.filter(name="Target").update(breaker_failures=100)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert run.fetched == run.accounted == run.dead_lettered == 20
    dead = list(Delivery.objects.order_by("pk"))
    assert {(d.state, d.attempts, d.permanent_error) for d in dead} == {(DeliveryState.DEAD, 3, False)}
    assert all("Connection refused" in d.last_error for d in dead)
    for delivery in dead:
        attempts = list(delivery.attempt_log.order_by("at"))
        assert [(a.ok, a.permanent, a.status_code) for a in attempts] == [(False, False, None)] * 3
        assert all("Connection refused" in a.error for a in attempts)
        first, second = ((b.at - a.at).total_seconds() for a, b in itertools.pairwise(attempts))
        assert first >= 0.8, first  # 1 s, then 2 s, each with up to 20 % jitter
        assert second >= 1.6, second
    assert target.total_writes() == 0

    target.up()
    for delivery in dead:
        dead_letter_replay(delivery=delivery)
    assert outbox_deliver(flow_id=flow.pk) == 20

    assert_all_delivered(20)
    assert_written_once(target, range(1, 21))
    assert DeliveryAttempt.objects.filter(ok=True).count() == 20
    assert DeliveryAttempt.objects.count() == 80  # the failed attempts stay in each record's history
    # Replaying what is delivered, or waking the outbox again, sends nothing.
    dead_letter_replay(delivery=Delivery.objects.get(pk=dead[0].pk))
    assert outbox_deliver(flow_id=flow.pk) == 0
    assert_written_once(target, range(1, 21))


def test_a_target_down_for_a_while_within_the_retry_window_gets_everything_once(
    make_flow, source: SourceServer, target: TargetServer
):
    source.add(20)
    target.down()
    flow = make_flow(push_mode="batch", page_size=10, max_attempts=5, retry_window_seconds=20)
    System.objects.filter(name="Target").update(breaker_failures=100)  # a short outage, within the retries
    comes_back = threading.Timer(1.5, target.up)
    comes_back.start()
    try:
        run = run_once(flow)
    finally:
        comes_back.cancel()

    assert run.state == RunState.SUCCEEDED, run.error
    assert run.created == run.fetched == 20
    assert_all_delivered(20)
    assert_written_once(target, range(1, 21))
    assert set(Delivery.objects.values_list("attempts", flat=True)) <= {2, 3}
    assert not DeliveryAttempt.objects.filter(ok=False).exclude(error__contains="Connection refused").exists()


@pytest.mark.parametrize("push_mode", ["single", "batch"])
def test_a_429_with_retry_after_is_honoured(
    make_flow, source: SourceServer, target: TargetServer, push_mode: str
):
    source.add(5)
    target.rate_limit_calls(1, retry_after=2)  # longer than the first backoff (1 s +- 20 %)
    flow = make_flow(push_mode=push_mode, retry_window_seconds=15)

    run = run_once(flow)

    assert run.state == RunState.SUCCEEDED, run.error
    assert_all_delivered(5)
    assert_written_once(target, range(1, 6))
    assert target.statuses[429] == 1
    for delivery in Delivery.objects.all():
        first, second = delivery.attempt_log.order_by("at")
        assert (first.ok, first.status_code, second.ok) == (False, 429, True)
        assert second.at - first.at >= timedelta(seconds=2)


@pytest.mark.parametrize("push_mode", ["single", "batch"])
def test_records_a_target_refuses_for_good_are_dead_letters_at_once_and_the_others_arrive(
    make_flow, source: SourceServer, target: TargetServer, push_mode: str
):
    source.add(50)
    target.reject_when(lambda item: item["address"]["city"] == "Wien")  # one in five
    flow = make_flow(push_mode=push_mode, page_size=25)

    run = run_once(flow)

    refused = {email(n) for n in range(4, 51, 5)}
    assert run.state == RunState.SUCCEEDED, run.error
    assert (run.fetched, run.accounted, run.created, run.dead_lettered) == (50, 50, 40, 10)
    dead = Delivery.objects.filter(state=DeliveryState.DEAD)
    assert set(dead.values_list("record__natural_key", flat=True)) == refused
    assert {(d.attempts, d.permanent_error) for d in dead} == {(1, True)}
    assert all("not accepted" in d.last_error for d in dead)
    assert DeliveryAttempt.objects.filter(delivery__in=dead, permanent=True).count() == 10
    if push_mode == "single":
        assert set(
            DeliveryAttempt.objects.filter(delivery__in=dead).values_list("status_code", flat=True)
        ) == {400}
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == 40
    assert target.writes_per_key() == {email(n): 1 for n in range(1, 51) if email(n) not in refused}
    dead_lettered = {k for k, v in outcomes(run).items() if v == Outcome.DEAD_LETTERED}
    assert dead_lettered == {f"R-{n:05d}" for n in range(4, 51, 5)}


# The tick.


def test_two_ticks_in_a_row_start_one_run(make_flow):
    flow = make_flow()
    assert flow.next_run_at is None  # active, every 15 minutes, never run: due now
    now = timezone.now()

    first, second = tick(now), tick(now)

    assert (first["started"], second["started"]) == (1, 0)
    assert Run.objects.filter(flow=flow).count() == 1
    flow.refresh_from_db()
    assert flow.next_run_at == now + timedelta(minutes=15)
    # Due again while the first run still waits: the one-active-run constraint keeps it at one.
    assert flows_start_due(now + timedelta(minutes=16)) == 0
    assert Run.objects.filter(flow=flow).count() == 1


@pytest.mark.django_db(transaction=True)  # two threads, two connections: each sees what the other commits
def test_two_ticks_at_the_same_moment_start_one_run(make_flow):
    flow = make_flow()
    now = timezone.now()
    together = threading.Barrier(2)
    started: list[int] = []

    def ticker() -> None:
        try:
            together.wait(timeout=10)
            started.append(tick(now)["started"])
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(started) == [0, 1]
    assert Run.objects.filter(flow=flow).count() == 1
