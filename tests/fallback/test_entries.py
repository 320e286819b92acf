"""Manual entries through the engine: stored once, taken in by a run as provisional values of the person
who typed them, delivered to the flow's targets, corrected while not reconciled, and reconciled (matched,
not duplicated) when the authoritative source sends its own version, with differences shown to a person.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from hub.catalog.models import Conflict, ConflictState, Record
from hub.fallback.models import EntryState, ManualEntry
from hub.fallback.services import EntryError, entry_correct, entry_submit, manual_system
from hub.flows.models import Delivery, DeliveryState, Flow, Outcome, RecordOutcome, Run, RunState
from hub.flows.models.run import FALLBACK_TRIGGER
from hub.flows.runs import run_execute
from hub.systems.links import link_failed
from hub.systems.models import System
from tests.flows.running import run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db

EMAIL = "user00001@example.com"  # person 1 of the source server, once the source sends it


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_user("olga", "olga@example.com", "a-long-password-42", is_staff=True)


def typed(**changes: str) -> dict[str, str]:
    return {"email": EMAIL, "first_name": "Anna", "last_name": "Typed", "country": "DE", **changes}


def take_in(flow: Flow) -> Run:
    """Execute the fallback run the entries asked for, here, as a worker would."""
    run = Run.objects.get(flow=flow, state=RunState.QUEUED)
    assert run.trigger == FALLBACK_TRIGGER
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    return finished


def test_an_entry_is_stored_once_per_form_and_checked_as_the_pipeline_checks(make_flow, operator):
    flow = make_flow()
    entry, created = entry_submit(flow=flow, values=typed(), submission_key="form-1", actor=operator)
    again, created_again = entry_submit(flow=flow, values=typed(), submission_key="form-1", actor=operator)
    assert (created, created_again) == (True, False)
    assert again.pk == entry.pk
    assert ManualEntry.objects.count() == 1

    with pytest.raises(EntryError) as refused:
        entry_submit(flow=flow, values=typed(country="Germany"), submission_key="form-2", actor=operator)
    assert "does not match the required format" in refused.value.field_errors["country"][0]
    with pytest.raises(EntryError) as missing:
        entry_submit(flow=flow, values=typed(email=""), submission_key="form-3", actor=operator)
    assert "email" in missing.value.field_errors
    assert ManualEntry.objects.count() == 1  # nothing half-saved


def test_an_entry_becomes_a_provisional_record_delivered_to_the_targets(
    make_flow, operator, target: TargetServer
):
    flow = make_flow(push_mode="batch")
    entry, _ = entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)

    run = take_in(flow)

    assert run.state == RunState.SUCCEEDED
    assert run.fetched == 1
    entry.refresh_from_db()
    assert entry.state == EntryState.RECORDED
    assert entry.processed_version == 1
    record = Record.objects.get(natural_key=EMAIL)
    assert entry.record_id == record.pk
    origin = record.provenance["last_name"]
    assert origin["system"] == manual_system().name
    assert origin["provisional"] is True
    assert origin["entered_by"] == "olga"
    assert origin["entry"] == entry.pk
    assert RecordOutcome.objects.get(run=run).external_id == f"entry-{entry.pk}"
    assert target.items()[EMAIL]["family_name"] == "TYPED"
    assert Delivery.objects.get(record=record).state == DeliveryState.DELIVERED


def test_the_authoritative_version_reconciles_the_entry_and_shows_what_differs(
    make_flow, operator, source: SourceServer, target: TargetServer
):
    flow = make_flow(push_mode="batch")
    link_failed(system=System.objects.get(name="Source"), error="connection refused")
    entry, _ = entry_submit(
        flow=flow, values=typed(first_name="Benno", last_name="Müller"), submission_key="k", actor=operator
    )
    take_in(flow)
    source.add(1)  # the source's person 1: Ben Müller, the same e-mail address

    run = run_once(flow)

    assert Record.objects.filter(entity=flow.entity).count() == 1  # matched, not duplicated
    record = Record.objects.get()
    assert record.data["first_name"] == "Ben"  # the source is authoritative
    assert record.provenance["first_name"]["system"] == "Source"
    assert record.provenance["last_name"]["system"] == "Source"  # typed as the source has it: confirmed
    conflict = Conflict.objects.get(record=record, state=ConflictState.OPEN)
    assert (conflict.field, conflict.kept_value, conflict.offered_value) == ("first_name", "Ben", "Benno")
    assert conflict.system == manual_system()
    entry.refresh_from_db()
    assert entry.state == EntryState.RECONCILED
    assert "R-00001" in entry.reconciled_with
    assert RecordOutcome.objects.get(run=run).outcome == Outcome.UPDATED
    assert target.history(EMAIL)[-1]["given_name"] == "Ben"
    with pytest.raises(EntryError):
        entry_correct(entry=entry, values=typed(), actor=operator)


def test_a_correction_replaces_what_the_same_entry_typed_and_is_delivered_again(
    make_flow, operator, target: TargetServer
):
    flow = make_flow(push_mode="batch")
    entry, _ = entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)
    take_in(flow)

    entry_correct(entry=entry, values=typed(last_name="Corrected"), actor=operator)
    take_in(flow)

    record = Record.objects.get()
    assert record.data["last_name"] == "Corrected"
    assert not Conflict.objects.exists()  # a person's own provisional value is theirs to correct
    entry.refresh_from_db()
    assert (entry.version, entry.processed_version, entry.state) == (2, 2, EntryState.RECORDED)
    assert [item["family_name"] for item in target.history(EMAIL)] == ["TYPED", "CORRECTED"]
    stale = ManualEntry.objects.get(pk=entry.pk)
    stale.version = 1  # a copy read before the correction
    with pytest.raises(EntryError, match="changed this entry"):
        entry_correct(entry=stale, values=typed(), actor=operator)


def test_two_people_typing_the_same_record_are_flagged_not_merged(make_flow, operator):
    flow = make_flow()
    other = User.objects.create_user("oscar", "oscar@example.com", "a-long-password-42", is_staff=True)
    entry_submit(flow=flow, values=typed(), submission_key="a", actor=operator)
    entry_submit(flow=flow, values=typed(first_name="Ann"), submission_key="b", actor=other)

    run = take_in(flow)

    assert run.state == RunState.SUCCEEDED
    assert run.fetched == 2
    assert Record.objects.count() == 1
    assert sorted(RecordOutcome.objects.filter(run=run).values_list("outcome", flat=True)) == [
        Outcome.CONFLICT,
        Outcome.CREATED,
    ]


def test_an_entry_that_no_longer_fits_waits_for_its_author(make_flow, operator):
    flow = make_flow()
    entry, _ = entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)
    flow.entity.fields.filter(name="company").update(required=True)  # the entity changed meanwhile

    run = take_in(flow)

    assert run.state == RunState.SUCCEEDED  # counted: the entry has an outcome
    entry.refresh_from_db()
    assert entry.state == EntryState.INVALID
    assert "company" in entry.problems
    assert not Record.objects.exists()
    entry_correct(entry=entry, values=typed(company="Acme"), actor=operator)
    take_in(flow)
    entry.refresh_from_db()
    assert entry.state == EntryState.RECORDED


def test_entries_for_a_flow_without_a_natural_key_are_refused_with_the_reason(make_flow, operator):
    flow = make_flow()
    flow.entity.fields.update(natural_key=False)
    with pytest.raises(EntryError, match="natural-key"):
        entry_submit(flow=flow, values=typed(), submission_key="k", actor=operator)
