"""Quarantined records corrected by a person, whatever the source does next; records the engine cannot
name; unchanged records recognised without being processed again.

Real source and target servers on 127.0.0.1; the engine runs in this process (``run_execute``).
"""

from __future__ import annotations

import pytest

from hub.catalog.models import CrossReference, Record
from hub.flows.models import Outcome, Quarantined, QuarantineState, Run, RunState
from hub.flows.quarantine import quarantine_resubmit
from hub.flows.runs import run_execute
from tests.flows.running import outcomes, run_once
from tests.flows.servers import SourceServer, TargetServer

pytestmark = pytest.mark.django_db


def break_email(source: SourceServer, number: int) -> None:
    source.records[number - 1]["email"] = "not an address"


def correct(external_id: str) -> Run:
    item = Quarantined.objects.get(external_id=external_id, state=QuarantineState.OPEN)
    run = quarantine_resubmit(item=item, values={**item.values, "email": "fixed@example.com"}, actor=None)
    finished = run_execute(run.pk, worker="test")
    assert finished is not None
    return finished


def assert_balanced(run: Run) -> None:
    assert run.state == RunState.SUCCEEDED, run.error
    assert run.fetched == run.accounted


def test_a_correction_takes_the_place_of_the_same_broken_record_sent_again(make_flow, source, target):
    source.add(5)
    break_email(source, 3)
    flow = make_flow()  # no changed-at field: every run reads everything again
    first = run_once(flow)
    assert outcomes(first)["R-00003"] == Outcome.QUARANTINED

    second = correct("R-00003")

    assert_balanced(second)
    assert second.fetched == 5
    assert outcomes(second) == {
        "R-00001": Outcome.UNCHANGED,
        "R-00002": Outcome.UNCHANGED,
        "R-00003": Outcome.CREATED,
        "R-00004": Outcome.UNCHANGED,
        "R-00005": Outcome.UNCHANGED,
    }
    assert list(Quarantined.objects.values_list("state", flat=True)) == [QuarantineState.APPLIED]
    assert Record.objects.filter(natural_key="fixed@example.com").count() == 1
    assert target.writes_per_key()["fixed@example.com"] == 1

    third = run_once(flow)  # the source still holds the broken record: it is the corrected one

    assert_balanced(third)
    assert set(outcomes(third).values()) == {Outcome.UNCHANGED}
    assert not Quarantined.objects.filter(state=QuarantineState.OPEN).exists()
    assert target.writes_per_key()["fixed@example.com"] == 1


def test_a_correction_the_source_does_not_send_again_is_its_own_page(make_flow, source, target):
    source.add(4)
    break_email(source, 2)
    flow = make_flow(cursor=True)  # reads only what changed since the last run
    run_once(flow)

    second = correct("R-00002")

    assert_balanced(second)
    # Only the last record is read again (the changed-since boundary is inclusive): the correction is a page.
    assert outcomes(second) == {"R-00004": Outcome.UNCHANGED, "R-00002": Outcome.CREATED}
    assert second.pages == 2  # the source's one page, then the corrections
    assert target.writes_per_key()["fixed@example.com"] == 1


def test_a_correction_is_superseded_by_a_newer_version_from_the_source(make_flow, source, target):
    source.add(3)
    break_email(source, 1)
    flow = make_flow()
    run_once(flow)
    item = Quarantined.objects.get(external_id="R-00001")
    source.records[0]["email"] = "fixed.at.the.source@example.com"

    run = quarantine_resubmit(item=item, values={**item.values, "email": "fixed@example.com"}, actor=None)
    second = run_execute(run.pk, worker="test")

    assert second is not None
    assert_balanced(second)
    assert outcomes(second)["R-00001"] == Outcome.CREATED
    assert Record.objects.filter(natural_key="fixed.at.the.source@example.com").exists()
    assert not Record.objects.filter(natural_key="fixed@example.com").exists()
    item.refresh_from_db()
    assert item.state == QuarantineState.APPLIED
    assert "superseded" in item.reason


def test_records_without_an_id_on_different_pages_are_each_quarantined(make_flow, source, target):
    source.add(4)
    for index in (0, 2):  # pages of 2: one record without an id on each page
        source.records[index]["id"] = ""
    flow = make_flow(page_size=2)

    run = run_once(flow)

    assert_balanced(run)
    assert run.quarantined == 2
    names = list(Quarantined.objects.values_list("external_id", flat=True))
    assert len(set(names)) == 2
    assert all(name.startswith("(no id) ") for name in names)

    again = run_once(flow)  # the same broken records keep their one entry each

    assert_balanced(again)
    assert sorted(Quarantined.objects.values_list("external_id", flat=True)) == sorted(names)


def test_an_unchanged_record_is_recognised_by_its_fingerprint_and_a_new_mapping_looks_again(
    make_flow, source, target: TargetServer
):
    from hub.mappings.models import Mapping, MappingRule
    from hub.mappings.services import mapping_publish

    source.add(3)
    flow = make_flow()
    run_once(flow)
    fingerprints = set(CrossReference.objects.filter(system=flow.source).values_list("last_hash", flat=True))
    assert "" not in fingerprints
    assert len(fingerprints) == 3

    second = run_once(flow)
    assert set(outcomes(second).values()) == {Outcome.UNCHANGED}

    outbound = Mapping.objects.get(system__name="Target")
    MappingRule.objects.filter(mapping=outbound, target="phone").update(transforms=["trim"])  # same output
    mapping_publish(mapping=outbound, note="A new version: records are looked at again.", actor=None)
    third = run_once(flow)

    assert_balanced(third)
    assert set(outcomes(third).values()) == {Outcome.UNCHANGED}  # same content: nothing new to push
    changed = set(CrossReference.objects.filter(system=flow.source).values_list("last_hash", flat=True))
    assert changed.isdisjoint(fingerprints), "a new mapping version must change every fingerprint"
