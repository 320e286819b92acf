"""A flow is refused with a message that says what is wrong and where."""

from __future__ import annotations

import pytest

from hub.catalog.models import Entity, EntityField, FieldType
from hub.flows.models import Flow
from hub.mappings.models import Direction, Mapping
from hub.systems.models import System

pytestmark = pytest.mark.django_db


@pytest.fixture
def wiring():
    customer = Entity.objects.create(name="Customer")
    email = EntityField.objects.create(entity=customer, name="email", type=FieldType.EMAIL)
    crm = System.objects.create(name="CRM", kind="http_json")
    erp = System.objects.create(name="ERP", kind="http_json")
    billing = System.objects.create(name="Billing", kind="http_json")
    Mapping.objects.create(system=crm, entity=customer, direction=Direction.INBOUND)
    Mapping.objects.create(system=erp, entity=customer, direction=Direction.OUTBOUND)
    return {"customer": customer, "email": email, "crm": crm, "erp": erp, "billing": billing}


def post(client, wiring, **overrides):
    data = {
        "name": "Customers to ERP",
        "state": "draft",
        "entity": wiring["customer"].pk,
        "source": wiring["crm"].pk,
        "targets": [wiring["erp"].pk],
        "fields": [wiring["email"].pk],
        "business_outcome": "Operations sees every new customer.",
        "freshness_minutes": 60,
        "trigger": "cron",
        "cron": "*/15 8-18 * * 1-5",
        "interval_minutes": "",
        "description": "",
        "cursor_field": "",
        "create_in_targets": "on",
        "max_attempts": 5,
        "retry_base_seconds": 5,
        "retry_window_seconds": 120,
    }
    data.update(overrides)
    return client.post("/admin/flows/flow/add/", data)


def test_a_well_wired_flow_is_saved(client, business_admin, wiring):
    client.force_login(business_admin)
    response = post(client, wiring)
    assert response.status_code == 302, response.content.decode()[:2000]
    flow = Flow.objects.get()
    assert list(flow.targets.all()) == [wiring["erp"]]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cron": "*/15 8-18 * *"}, "has 4 parts; a cron expression has five"),
        ({"cron": "99 * * * *"}, "is not a valid cron expression"),
        ({"trigger": "interval", "cron": ""}, "Say how many minutes apart the runs should be."),
        ({"targets": "billing"}, "No outbound mapping for Customer to: Billing"),
        ({"source": "erp"}, "ERP has no inbound mapping for Customer"),
        ({"business_outcome": ""}, "This field is required."),
    ],
)
def test_a_badly_wired_flow_is_refused_with_a_clear_message(
    client, business_admin, wiring, overrides, message
):
    client.force_login(business_admin)
    resolved = {
        key: ([wiring[value].pk] if key == "targets" else wiring[value].pk) if value in wiring else value
        for key, value in overrides.items()
    }
    response = post(client, wiring, **resolved)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Flow.objects.exists()


def test_a_cron_that_never_happens_is_refused(client, business_admin, wiring):
    client.force_login(business_admin)
    response = post(client, wiring, cron="0 0 31 2 *")
    assert "never happens" in response.content.decode()
    assert not Flow.objects.exists()


def test_activating_a_flow_whose_target_lost_its_mapping_is_refused(client, business_admin, wiring):
    client.force_login(business_admin)
    assert post(client, wiring).status_code == 302
    flow = Flow.objects.get()
    Mapping.objects.filter(system=wiring["erp"], direction=Direction.OUTBOUND).delete()
    response = client.post(
        "/admin/flows/flow/",
        {"action": "flows_activate", "_selected_action": [flow.pk], "confirmed": "yes"},
        follow=True,
    )
    assert "cannot be activated" in response.content.decode()
    flow.refresh_from_db()
    assert flow.state == "draft"


def test_a_mapping_a_flow_needs_cannot_be_deleted(client, business_admin, wiring):
    client.force_login(business_admin)
    assert post(client, wiring).status_code == 302
    outbound = Mapping.objects.get(system=wiring["erp"], direction=Direction.OUTBOUND)
    response = client.post(f"/admin/mappings/mapping/{outbound.pk}/delete/", {"post": "yes"})
    assert "Customers to ERP" in response.content.decode()
    assert Mapping.objects.filter(pk=outbound.pk).exists()
