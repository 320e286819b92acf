"""Work outside a request is attributed: every audit entry of a run, the outbox or a probe says which."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from hub.audit.attribution import attributed
from hub.audit.events import Event
from hub.flows.jobs import deliver_flow
from hub.flows.models import Delivery, DeliveryState
from hub.systems.jobs import probe_system
from hub.systems.models import Secret, System
from tests.flows.running import run_once

pytestmark = pytest.mark.django_db


def decryptions(cid: str) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            action=LogEntry.Action.ACCESS, cid=cid, additional_data__event=str(Event.DECRYPTED)
        )
    )


def test_a_run_decrypting_secrets_is_named_in_each_access_entry(make_flow, source):
    flow = make_flow()
    source.add(2)
    run = run_once(flow)
    entries = decryptions(f"run:{run.pk}")
    by = f"run {run.pk} of flow {flow.name}"
    assert {(e.object_repr, e.additional_data["by"], e.actor_id) for e in entries} == {
        ("Source: bearer_token", by, None),
        ("Target: bearer_token", by, None),
    }
    assert all(e.additional_data["reason"] == by for e in entries)


def test_the_outbox_job_is_named(make_flow, source, target):
    flow = make_flow(retry_window_seconds=0)
    source.add(1)
    target.down()
    run_once(flow)
    assert Delivery.objects.filter(flow=flow, state=DeliveryState.PENDING).exists()
    target.up()
    Delivery.objects.filter(flow=flow).update(next_attempt_at=None)
    deliver_flow(flow.pk)
    entries = decryptions(f"outbox:{flow.pk}")
    assert [e.additional_data["by"] for e in entries] == [f"outbox of flow {flow.name}"]


def test_a_background_connection_test_is_named(make_flow):
    make_flow()
    system = System.objects.get(name="Source")
    probe_system(system.pk)
    [entry] = decryptions(f"probe:{system.pk}")
    assert entry.additional_data["by"] == "connection test of Source"


def test_changes_made_meanwhile_carry_it_too_and_nothing_leaks_outside(make_flow):
    make_flow()
    system = System.objects.get(name="Source")
    with attributed(cid="run:99", by="run 99 of flow X"):
        system.description = "changed by a run"
        system.save()
    system.description = "changed later"
    system.save()
    inside, outside = LogEntry.objects.get_for_object(system).filter(action=LogEntry.Action.UPDATE)[:2][::-1]
    assert (inside.cid, inside.additional_data) == ("run:99", {"by": "run 99 of flow X"})
    assert outside.cid != "run:99"
    assert not (outside.additional_data or {}).get("by")
    assert Secret.objects.filter(system=system).exists()
