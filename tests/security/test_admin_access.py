"""Opening a canonical record or a dead letter's payload in the admin is an access, recorded once."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from hub.catalog.models import Record
from hub.flows.models import DeadLetter
from hub.systems.models import System
from tests.flows.running import run_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_flow(make_flow, source):
    flow = make_flow()
    source.add(2)
    System.objects.filter(name="Target").update(read_only=True)  # every delivery becomes a dead letter
    run_once(flow)
    return flow


def accesses(instance) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(instance).filter(action=LogEntry.Action.ACCESS))


@pytest.mark.parametrize(
    ("model", "url", "what"),
    [
        (Record, "/admin/catalog/record/{}/change/", "record "),
        (DeadLetter, "/admin/flows/deadletter/{}/change/", "payload of dead letter "),
        (DeadLetter, "/admin/flows/delivery/{}/change/", "payload of delivery "),
    ],
)
def test_one_view_is_one_entry_with_the_person(client, business_admin, dead_flow, model, url, what):
    instance = model.objects.order_by("pk").first()
    client.force_login(business_admin)
    before = len(accesses(instance))
    assert client.get(url.format(instance.pk)).status_code == 200
    entries = accesses(instance)[: len(accesses(instance)) - before]
    assert len(accesses(instance)) == before + 1
    [entry] = entries
    assert entry.actor_id == business_admin.pk
    assert entry.additional_data["event"] == "accessed"
    assert entry.additional_data["reason"] == "viewed in the admin"
    assert entry.additional_data["accessed"].startswith(what)


def test_a_list_page_is_not_an_access_of_each_row(client, business_admin, dead_flow):
    client.force_login(business_admin)
    count = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    assert client.get("/admin/catalog/record/").status_code == 200
    assert client.get("/admin/flows/deadletter/").status_code == 200
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == count
