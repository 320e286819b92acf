"""Link health: the circuit breaker opens after the configured failures, stops calling the system, is
tested again after its pause, and closes on success; the outbox then delivers in order, each once.

A real target on 127.0.0.1 is stopped (connections refused) and started again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from hub.flows.models import Delivery, DeliveryAttempt, DeliveryState, Flow, Run
from hub.flows.outbox import outbox_deliver
from hub.flows.scheduling import flows_start_due, outbox_wake
from hub.systems.jobs import probe_system
from hub.systems.links import link_failed, link_restored, link_succeeded, links_test_due
from hub.systems.models import Link, LinkState, System
from tests.flows.running import run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db


def email(number: int) -> str:
    return f"user{number:05d}@example.com"


def link(name: str) -> Link:
    return Link.objects.get(system__name=name)


def breaker(name: str, *, failures: int, pause: int = 1) -> None:
    System.objects.filter(name=name).update(breaker_failures=failures, breaker_pause_seconds=pause)


def states() -> dict[str, int]:
    return dict(Delivery.objects.values_list("state").annotate(n=Count("pk")))


def test_the_link_opens_after_the_configured_failures_stops_calling_and_closes_after_a_test(
    make_flow, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch", page_size=10, retry_base_seconds=1, retry_window_seconds=5)
    breaker("Target", failures=2)
    source.add(30)
    target.down()

    run = run_once(flow)

    # Page 1's push failed (degraded), page 2's opened the circuit, page 3 was never pushed.
    assert link("Target").state == LinkState.DOWN
    assert link("Target").failures == 2
    assert Run.objects.get(pk=run.pk).state == "succeeded"  # its records wait in the outbox
    assert DeliveryAttempt.objects.count() == 20
    assert states() == {DeliveryState.PENDING: 30}
    # Only the failure before the link went down counts toward dead-lettering.
    assert sorted(set(Delivery.objects.values_list("attempts", flat=True))) == [0, 1]

    assert outbox_deliver(flow_id=flow.pk) == 0  # nothing is claimed while the link is down
    assert DeliveryAttempt.objects.count() == 20

    # A test while the target is still down keeps the link down and doubles the wait.
    before = link("Target").retry_at
    assert before is not None
    assert probe_system(System.objects.get(name="Target").pk) is False
    after = link("Target")
    assert after.state == LinkState.DOWN
    assert after.pause_seconds == 2
    assert after.retry_at is not None
    assert after.retry_at > before

    target.up()
    assert probe_system(System.objects.get(name="Target").pk) is True
    assert link("Target").state == LinkState.UP
    assert link("Target").failures == 0

    assert outbox_deliver(flow_id=flow.pk) == 30
    assert states() == {DeliveryState.DELIVERED: 30}
    assert target.writes_per_key() == {email(n): 1 for n in range(1, 31)}


def test_an_outage_makes_no_dead_letters_even_with_a_single_attempt(
    make_flow, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch", max_attempts=1, retry_window_seconds=2)
    breaker("Target", failures=1)
    source.add(5)
    target.down()

    run_once(flow)

    assert link("Target").state == LinkState.DOWN
    assert states() == {DeliveryState.PENDING: 5}  # with one attempt and no breaker, 5 dead letters
    target.up()
    link_succeeded(system=System.objects.get(name="Target"))
    outbox_deliver(flow_id=flow.pk)
    assert states() == {DeliveryState.DELIVERED: 5}


def test_a_record_changed_during_an_outage_reaches_the_target_in_order_as_an_update(
    make_flow, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch", retry_window_seconds=2)
    breaker("Target", failures=1)
    source.add(3)
    target.down()
    run_once(flow)
    with source.lock:  # the source changes person 2 while the target is still down
        source.records[1] = {
            **source.records[1],
            "first_name": "Zelda",
            "updated_at": (timezone.now() + timedelta(days=1)).isoformat(),
        }
    run_once(flow)
    assert states() == {DeliveryState.PENDING: 4}

    target.up()
    link_succeeded(system=System.objects.get(name="Target"))
    for _ in range(5):  # bounded: each round takes what is due, a later version after the earlier one
        if not outbox_deliver(flow_id=flow.pk):
            break

    assert states() == {DeliveryState.DELIVERED: 4}
    assert [item["given_name"] for item in target.history(email(2))] == ["Clara", "Zelda"]
    assert target.writes_per_key() == {email(1): 1, email(2): 2, email(3): 1}
    first, second = Delivery.objects.filter(record__natural_key=email(2)).order_by("pk")
    assert second.external_id == first.external_id != ""  # the update named the id the create got


def test_a_backlog_wakes_the_outbox_once_per_flow_not_once_per_delivery(
    make_flow, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch", retry_window_seconds=1)
    breaker("Target", failures=1)
    source.add(40)
    target.down()
    run_once(flow)
    assert states() == {DeliveryState.PENDING: 40}

    assert outbox_wake(timezone.now()) == 0  # the link is down: nothing to wake
    target.up()
    assert link_restored(System.objects.get(name="Target").pk) == 1
    link_succeeded(system=System.objects.get(name="Target"))
    assert outbox_wake(timezone.now()) == 1


def test_degraded_then_up_and_a_due_test_is_queued_once(make_flow, target: TargetServer):
    make_flow()
    system = System.objects.get(name="Target")
    breaker("Target", failures=3, pause=60)

    assert link_failed(system=system, error="connection refused") == LinkState.DEGRADED
    assert link_succeeded(system=system) is False
    assert link("Target").state == LinkState.UP
    assert link("Target").failures == 0

    for _ in range(3):
        state = link_failed(system=system, error="connection refused\nforged line")
    assert state == LinkState.DOWN
    assert "\n" not in link("Target").last_error  # a system's words stay on one line
    assert links_test_due(timezone.now()) == 0  # its pause has not passed
    later = timezone.now() + timedelta(seconds=61)
    assert links_test_due(later) == 1
    assert links_test_due(later) == 0  # claimed: two ticks test once
    assert link_succeeded(system=system) is True


def test_scheduled_runs_wait_while_their_source_is_down(make_flow, source: SourceServer):
    flow = make_flow()
    Flow.objects.filter(pk=flow.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))
    breaker("Source", failures=1)
    link_failed(system=System.objects.get(name="Source"), error="connection refused")

    assert flows_start_due(timezone.now()) == 0

    link_succeeded(system=System.objects.get(name="Source"))
    assert flows_start_due(timezone.now()) == 1


def test_a_source_that_cannot_be_reached_marks_its_link(make_flow, source: SourceServer):
    flow = make_flow(read_timeout=1)
    breaker("Source", failures=1)
    source.stop()

    run = run_once(flow)

    assert run.state == "failed"
    assert link("Source").state == LinkState.DOWN
    source.start()
    run_once(flow)
    assert link("Source").state == LinkState.UP
