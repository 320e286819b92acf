"""The demo's flows run end to end against the real sample systems."""

from __future__ import annotations

import pytest

from hub.catalog.models import Conflict, CrossReference, Record
from hub.flows.models import Delivery, DeliveryState, Flow, Outcome, Quarantined, RunState
from hub.flows.runs import run_execute, run_request
from tests.flows.running import outcomes

pytestmark = pytest.mark.django_db(transaction=True)

CRM_FLOW = "New customers from the CRM to ERP and billing"
ERP_FLOW = "ERP addresses back to the CRM"


def run_now(name: str):
    flow = Flow.objects.get(name=name)
    run, created = run_request(flow=flow, trigger="manual")
    assert created
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    return finished


def test_crm_customers_reach_erp_and_billing_and_every_record_is_accounted_for(demo, sample_systems):
    run = run_now(CRM_FLOW)

    assert run.state == RunState.SUCCEEDED, run.error
    assert run.fetched == 20
    assert run.accounted == 20
    assert run.mapping_versions == {"CRM": 1, "Billing": 1, "ERP": 1}
    seen = outcomes(run)
    assert {seen[i] for i in ("C-1005", "C-1009", "C-1013", "C-1018")} == {Outcome.QUARANTINED}
    assert Quarantined.objects.get(external_id="C-1013").errors.keys() >= {"email", "first_name"}
    # Anna Schmidt is in the CRM twice (C-1001, C-1017): one record, the other flagged, not duplicated.
    assert Record.objects.filter(natural_key="anna.schmidt@example.com").count() == 1
    assert Outcome.CONFLICT in {seen["C-1001"], seen["C-1017"]}
    created = Record.objects.count()
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == created * 2
    assert CrossReference.objects.filter(system__name="ERP").exclude(external_id="").count() == created


def test_a_second_run_over_unchanged_data_pushes_nothing(demo, sample_systems):
    run_now(CRM_FLOW)
    deliveries = Delivery.objects.count()
    second = run_now(CRM_FLOW)
    assert second.state == RunState.SUCCEEDED
    assert second.created == 0
    assert second.updated == 0
    assert Delivery.objects.count() == deliveries
    assert second.unchanged + second.quarantined + second.conflicts == second.fetched


def test_linking_the_erp_first_then_the_crm_updates_erp_customers_instead_of_duplicating(
    demo, sample_systems
):
    first = run_now(ERP_FLOW)
    assert first.state == RunState.SUCCEEDED, first.error
    weber = Record.objects.get(natural_key="jonas.weber@weber-logistik.de")
    assert weber.data["street"] == "Am Sandtorkai 3"
    erp_before = len(sample_systems.systems["erp"].store.select("customers", None))

    run = run_now(CRM_FLOW)

    assert run.state == RunState.SUCCEEDED, run.error
    weber.refresh_from_db()
    assert weber.data["street"] == "Am Sandtorkai 3"  # the CRM is not authoritative for addresses
    assert weber.data["first_name"] == "Jonas"  # but it is for names
    conflict = Conflict.objects.get(record=weber, field="street", system__name="CRM")
    assert conflict.offered_value == "Hafenstraße 12"
    assert outcomes(run)["C-1002"] == Outcome.CONFLICT
    erp_after = sample_systems.systems["erp"].store.select("customers", None)
    created_in_erp = Record.objects.exclude(
        xrefs__system__name="ERP", xrefs__external_id__startswith="K-20"
    ).count()
    assert len(erp_after) - erp_before <= created_in_erp  # known customers were updated, not created again
    k2002 = next(c for c in erp_after if c["customer_no"] == "K-2002")
    assert k2002["street"] == "Am Sandtorkai 3"


def test_dead_letters_are_replayed_from_the_command_line_once_the_target_is_back(demo, sample_systems):
    from io import StringIO

    import requests
    from django.core.management import call_command

    erp = sample_systems.urls["erp"]
    Flow.objects.filter(name=CRM_FLOW).update(max_attempts=1)
    requests.post(f"{erp}/_control/reset", timeout=5)  # the sample servers live for the whole session
    requests.post(f"{erp}/_control/outage", json={"mode": "down", "status": 503}, timeout=5)
    try:
        run = run_now(CRM_FLOW)
    finally:
        requests.post(f"{erp}/_control/outage", json={"mode": "up"}, timeout=5)
    assert run.dead_lettered > 0
    dead = Delivery.objects.filter(state=DeliveryState.DEAD, target__name="ERP")
    count = dead.count()
    assert count == Record.objects.count()

    out = StringIO()
    call_command("dead_letters", "replay", "--flow", CRM_FLOW, "--now", stdout=out)

    assert f"{count} dead letter(s) queued" in out.getvalue()
    assert not Delivery.objects.filter(state__in=[DeliveryState.DEAD, DeliveryState.PENDING]).exists()
    state = requests.get(f"{erp}/_control/state", timeout=5).json()
    created = [w for w in state["write_log"] if w["resource"] == "customers" and w["action"] == "created"]
    assert len(created) == count  # each delivered exactly once


def test_an_accepted_conflict_is_delivered_to_the_targets_without_waiting_for_a_run(demo, sample_systems):
    from hub.catalog.services import conflict_resolve
    from hub.flows.outbox import outbox_deliver

    run_now(ERP_FLOW)
    run_now(CRM_FLOW)
    conflict = Conflict.objects.get(record__natural_key="jonas.weber@weber-logistik.de", field="street")
    planned_before = Delivery.objects.filter(record=conflict.record).count()

    conflict_resolve(conflict=conflict, accept=True, note="The customer moved; the CRM is right.")

    waiting = Delivery.objects.filter(record=conflict.record, state=DeliveryState.PENDING)
    assert Delivery.objects.filter(record=conflict.record).count() > planned_before
    assert {d.payload.get("street") for d in waiting if d.target.name == "ERP"} == {"Hafenstraße 12"}
    outbox_deliver(flow_id=Flow.objects.get(name=CRM_FLOW).pk)
    k2002 = next(
        c
        for c in sample_systems.systems["erp"].store.select("customers", None)
        if c["customer_no"] == "K-2002"
    )
    assert k2002["street"] == "Hafenstraße 12"
