"""A read-only system: the hub reads from it and never writes to it, whatever a flow says."""

from __future__ import annotations

import pytest
import yaml

from hub.configuration.exporting import systems_export
from hub.configuration.importer import config_import
from hub.flows.models import DeadLetter, DeliveryState, Outcome, RecordOutcome
from hub.flows.services import FlowError, flow_state_set, flow_wiring_errors
from hub.systems.models import System
from hub.systems.services import system_connector
from tests.flows.conftest import flow_config
from tests.flows.running import run_once

pytestmark = pytest.mark.django_db


def test_a_flow_with_a_read_only_target_cannot_be_activated(make_flow):
    flow = make_flow()
    System.objects.filter(name="Target").update(read_only=True)
    assert "The hub only reads from Target (marked read only)" in flow_wiring_errors(flow)["targets"]
    with pytest.raises(FlowError, match="cannot send records there"):
        flow_state_set(flow=flow, state="active")


def test_nothing_is_sent_to_a_read_only_target(make_flow, source, target):
    """The flow was active before the target was marked read only: its deliveries become dead letters."""
    flow = make_flow()
    source.add(3)
    System.objects.filter(name="Target").update(read_only=True)
    run = run_once(flow)
    assert target.calls == 0
    assert target.total_writes() == 0
    letters = DeadLetter.objects.filter(flow=flow)
    assert letters.count() == 3
    assert {(d.state, d.permanent_error, d.attempts) for d in letters} == {(DeliveryState.DEAD, True, 1)}
    assert (
        "Target is marked read only: the hub never writes to it, so nothing was sent."
        in letters[0].last_error
    )
    assert set(RecordOutcome.objects.filter(run=run).values_list("outcome", flat=True)) == {
        Outcome.DEAD_LETTERED
    }


def test_the_flag_travels_in_the_configuration_file(db, source, target):
    document = yaml.safe_load(
        flow_config(source.url, target.url, push_mode="single", page_size=10, read_timeout=5)
    )
    document["systems"][0]["read_only"] = True
    document["flows"] = []
    config_import(text=yaml.safe_dump(document), dry_run=False)
    assert System.objects.get(name="Source").read_only
    assert not System.objects.get(name="Target").read_only
    exported = {system["name"]: system for system in systems_export()}
    assert exported["Source"]["read_only"] is True
    assert "read_only" not in exported["Target"]  # false goes unsaid, like every default


def test_a_read_only_sql_system_is_opened_read_only(db):
    system = System.objects.create(
        name="Shop", kind="sql", read_only=True, params={"url": "sqlite:////srv/shop.db", "key_column": "id"}
    )
    connector = system_connector(system=system, reason="test")
    assert connector.options.read_only  # type: ignore[attr-defined]


def test_the_admin_form_offers_the_flag_in_plain_words(client, business_admin, demo):
    client.force_login(business_admin)
    crm = System.objects.get(name="CRM")
    page = client.get(f"/admin/systems/system/{crm.pk}/change/").content.decode()
    assert 'name="read_only"' in page
    assert "The hub only reads from this system; it never writes to it." in page
