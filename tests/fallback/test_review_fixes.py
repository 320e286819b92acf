"""Regression tests for defects a review of issue 7 found: what the target holds after changes and
reverts during an outage, a retried batch kept whole, keys that change, reconciliation only by the
authoritative system, corrections racing a source run, a requeued fallback run, stale successes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hub.catalog.models import Conflict, Record, SourceOfTruth
from hub.fallback.models import EntryState
from hub.fallback.services import entry_correct, entry_submit
from hub.flows.models import Delivery, DeliveryState, Flow, Run, RunState
from hub.flows.outbox import dead_letter_replay, outbox_deliver
from hub.flows.runs import run_execute, run_request, runs_requeue_abandoned
from hub.systems.links import link_failed, link_succeeded
from hub.systems.models import Link, LinkState, System
from tests.flows.running import run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db

EMAIL = "user00001@example.com"


def email(number: int) -> str:
    return f"user{number:05d}@example.com"


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_user("olga", "olga@example.com", "a-long-password-42", is_staff=True)


def typed(**changes: str) -> dict[str, str]:
    return {"email": EMAIL, "first_name": "Anna", "last_name": "Typed", "country": "DE", **changes}


def take_in(flow: Flow) -> Run:
    finished = run_execute(Run.objects.get(flow=flow, state=RunState.QUEUED).pk, worker="test")
    assert finished is not None
    return finished


def rename(source: SourceServer, first_name: str, days: int) -> None:
    with source.lock:
        source.records[0] = {
            **source.records[0],
            "first_name": first_name,
            "updated_at": (timezone.now() + timedelta(days=days)).isoformat(),
        }


def drain(flow: Flow) -> None:
    for _ in range(5):  # bounded: each round takes what is due
        if not outbox_deliver(flow_id=flow.pk):
            break


def back_up(target: TargetServer) -> None:
    target.up()
    link_succeeded(system=System.objects.get(name="Target"))


@pytest.mark.parametrize("delivered_first", [False, True])
def test_a_change_reverted_during_an_outage_leaves_the_target_with_the_record_s_value(
    make_flow, source: SourceServer, target: TargetServer, delivered_first: bool
):
    flow = make_flow(push_mode="batch", retry_window_seconds=1)
    System.objects.filter(name="Target").update(breaker_failures=1)
    source.add(1)
    original = source.records[0]["first_name"]
    if delivered_first:
        run_once(flow)  # A reaches the target
    target.down()
    run_once(flow)  # (A waits, when it was not delivered yet)
    rename(source, "Zelda", 1)
    run_once(flow)  # B waits
    rename(source, original, 2)
    run_once(flow)  # back to A: must be queued after B

    back_up(target)
    drain(flow)

    record = Record.objects.get(natural_key=EMAIL)
    assert target.items()[EMAIL]["given_name"] == record.data["first_name"] == original.title()
    names = [item["given_name"] for item in target.history(EMAIL)]
    assert names == [original.title(), "Zelda", original.title()]


def test_an_entry_corrected_and_corrected_back_during_an_outage_ends_as_typed_last(
    make_flow, operator, target: TargetServer
):
    flow = make_flow(push_mode="batch", retry_window_seconds=1)
    System.objects.filter(name="Target").update(breaker_failures=1)
    target.down()
    entry, _ = entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)
    take_in(flow)
    entry = entry_correct(entry=entry, values=typed(last_name="Wrong"), actor=operator)
    take_in(flow)
    entry_correct(entry=entry, values=typed(), actor=operator)
    take_in(flow)

    back_up(target)
    drain(flow)

    assert target.items()[EMAIL]["family_name"] == "TYPED"


def test_a_retried_batch_waits_whole_for_a_replayed_earlier_delivery(
    make_flow, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch", retry_base_seconds=1, retry_window_seconds=1)
    source.add(1)
    target.reject_when(lambda item: item.get("email") == email(1))
    run_once(flow)  # person 1 refused for good: a dead letter
    target.reject_when(None)
    rename(source, "Zelda", 1)
    source.add(3)
    target.fail_share(1.0, after_write=True, most_per_item=1)  # stored, but the answer is lost once
    run_once(flow)  # one batch of four: written, then a 503
    dead_letter_replay(delivery=Delivery.objects.get(state=DeliveryState.DEAD))
    time.sleep(1.5)  # the batch's backoff (1 s with jitter)

    drain(flow)

    writes = target.writes_per_key()
    assert {key: n for key, n in writes.items() if key != email(1)} == {email(2): 1, email(3): 1, email(4): 1}
    assert target.replays >= 1  # the batch went out again exactly as first sent: its stored answer
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_a_corrected_identifying_value_is_how_the_record_is_found_afterwards(
    make_flow, operator, source: SourceServer
):
    flow = make_flow(push_mode="batch")
    entry, _ = entry_submit(
        flow=flow, values=typed(email="user0001@example.com"), submission_key="k", actor=operator
    )
    take_in(flow)
    entry_correct(entry=entry, values=typed(), actor=operator)  # the typo in the e-mail fixed
    take_in(flow)
    assert Record.objects.get().natural_key == EMAIL
    source.add(1)

    run_once(flow)

    assert Record.objects.count() == 1


def test_a_changed_key_that_another_record_holds_is_a_conflict_not_a_merge(make_flow, operator):
    flow = make_flow()
    first, _ = entry_submit(
        flow=flow, values=typed(email="a@example.com"), submission_key="a", actor=operator
    )
    entry_submit(flow=flow, values=typed(email="b@example.com"), submission_key="b", actor=operator)
    take_in(flow)
    entry_correct(entry=first, values=typed(email="b@example.com"), actor=operator)

    take_in(flow)

    assert set(Record.objects.values_list("natural_key", flat=True)) == {"a@example.com", "b@example.com"}
    assert Conflict.objects.filter(kept_value="a@example.com", offered_value="b@example.com").exists()


def test_a_system_that_is_not_authoritative_does_not_reconcile_an_entry(
    make_flow, operator, source: SourceServer
):
    flow = make_flow(push_mode="batch")
    SourceOfTruth.objects.filter(entity=flow.entity).update(system=System.objects.get(name="Target"))
    entry, _ = entry_submit(flow=flow, values=typed(first_name="Benno"), submission_key="k", actor=operator)
    take_in(flow)
    source.add(1)

    run_once(flow)

    entry.refresh_from_db()
    assert entry.state == EntryState.RECORDED
    assert Record.objects.get().provenance["first_name"]["provisional"] is True
    entry_correct(entry=entry, values=typed(first_name="Bernd"), actor=operator)  # still the author's


def test_a_correction_saved_while_a_source_run_waits_is_taken_in_afterwards(
    make_flow, operator, source: SourceServer
):
    flow = make_flow(push_mode="batch")
    entry, _ = entry_submit(flow=flow, values=typed(first_name="Benno"), submission_key="k", actor=operator)
    take_in(flow)
    source.add(1)
    queued, _ = run_request(flow=flow, trigger="schedule")
    entry_correct(entry=entry, values=typed(first_name="Bernd"), actor=operator)
    run_execute(queued.pk, worker="test")  # the source's version arrives first

    entry.refresh_from_db()
    assert entry.state == EntryState.WAITING  # not marked reconciled with version 2 unseen
    run_request(flow=flow, trigger="fallback form")
    take_in(flow)
    entry.refresh_from_db()
    assert entry.processed_version == entry.version == 2
    assert Conflict.objects.filter(field="first_name", offered_value="Bernd").exists()  # shown to a person


def test_a_requeued_fallback_run_with_a_corrected_entry_adds_up(make_flow, operator):
    flow = make_flow()
    entry, _ = entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)
    run = Run.objects.get(state=RunState.QUEUED)
    assert run_execute(run.pk, worker="w1") is not None
    # As if its worker died after the page: the run is running again under another worker.
    Run.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, worker="w1", heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    entry_correct(entry=entry, values=typed(last_name="Fixed"), actor=operator)
    assert runs_requeue_abandoned() == [run.pk]

    finished = run_execute(run.pk, worker="w2")

    assert finished is not None
    assert finished.state == RunState.SUCCEEDED, finished.error


def test_a_success_of_a_call_that_began_before_the_latest_failure_does_not_close_the_link(make_flow):
    make_flow()
    system = System.objects.get(name="Target")
    System.objects.filter(pk=system.pk).update(breaker_failures=3)
    system.refresh_from_db()
    began = timezone.now()  # a slow push is on its way
    for _ in range(3):
        link_failed(system=system, error="connection refused")

    assert link_succeeded(system=system, started=began) is False
    assert Link.objects.get(system=system).state == LinkState.DOWN
    assert link_succeeded(system=system, started=timezone.now()) is True
